import KeyfaceNN
import XCTest

@testable import KeyfaceTraining

final class FaceFramesTests: XCTestCase {
  /// A dataset of one face whose 15 keypoints are spread over the crop.
  private func oneFace() -> (KaggleDataset, [SIMD2<Float>]) {
    let crop: [SIMD2<Float>] = (0..<Keypoints.count).map { SIMD2(20 + Float($0 % 5) * 12, 25 + Float($0 / 5) * 20) }
    var faces = KaggleDataset()
    faces.append(
      pixels: [UInt8](repeating: 0, count: KaggleDataset.pixelCount), coordinates: crop.flatMap { [$0.x, $0.y] },
      mask: [Float](repeating: 1, count: KaggleDataset.coordinateCount), imageId: 0)
    return (faces, crop)
  }

  /// A 256 x 200 frame whose grey level is its column index: at point p (pixel-corner coordinates) bilinear
  /// sampling gives p.x - 0.5, and averaging samples around a point gives the value at the point.
  private func rampFrame() -> FaceFrames.Frame {
    let (width, height) = (256, 200)
    let pixels = (0..<(width * height)).map { UInt8($0 % width) }
    return FaceFrames.Frame(width: width, height: height, pixels: pixels)
  }

  func testPlacementFitsCropPointsOntoFramePoints() throws {
    let (faces, crop) = oneFace()
    let framePoints = crop.map { $0 * 2.5 + SIMD2(40, 30) }
    let frames = try FaceFrames(frames: [rampFrame()], frameOfRow: [0], framePoints: [framePoints], faces: faces)
    XCTAssertEqual(frames.placements[0].scale, 2.5, accuracy: 1e-4)
    XCTAssertEqual(frames.placements[0].shift.x, 40, accuracy: 1e-3)
    XCTAssertEqual(frames.placements[0].shift.y, 30, accuracy: 1e-3)
  }

  func testRotatedFramePointsAreRejectedNamingTheFace() {
    let (faces, crop) = oneFace()
    // A 30-degree rotation is no scale and shift of the crop.
    let (s, c) = (sin(Float.pi / 6), cos(Float.pi / 6))
    let framePoints = crop.map { SIMD2(c * $0.x - s * $0.y, s * $0.x + c * $0.y) * 2 + SIMD2(100, 50) }
    XCTAssertThrowsError(try FaceFrames(frames: [rampFrame()], frameOfRow: [0], framePoints: [framePoints], faces: faces)) {
      XCTAssertTrue("\($0)".hasPrefix("face 1:"), "\($0)")
    }
  }

  /// The crop drawn from the frame samples the frame where the placement (after the augmentation's inverse) says,
  /// averaging several samples per pixel for a large face; a shifted crop shows frame content, not a repeated border.
  func testCropIsDrawnFromTheFrameWithRealSurroundings() {
    let frame = rampFrame()
    let placement = FaceFrames.Placement(frame: 0, scale: 1.5, shift: SIMD2(80, 20))  // crop = frame x 80 ..< 224
    var checked = 0
    for augmentation in [Augmentation.identity, Augmentation(rotation: 0.2, scale: 0.8, shift: SIMD2(-10, 6))] {
      var out = [Float](repeating: 0, count: KaggleDataset.pixelCount)
      out.withUnsafeMutableBufferPointer {
        augmentation.warp(frame: frame, placement: placement, into: $0.baseAddress!, gain: 1, offset: 0)
      }
      for y in stride(from: 0, to: 96, by: 7) {
        for x in stride(from: 0, to: 96, by: 5) {
          let p = placement.frame(from: augmentation.inverse(SIMD2(Float(x) + 0.5, Float(y) + 0.5)))
          guard p.x > 3, p.x < 253, p.y > 3, p.y < 197 else { continue }
          XCTAssertEqual(out[y * 96 + x], p.x - 0.5, accuracy: 0.01, "\(augmentation) (\(x), \(y))")
          checked += 1
        }
      }
    }
    XCTAssertGreaterThan(checked, 400)
    // Shifted 20 px right, the crop's first column shows frame column 80 - 1.5 * 19.5 = 50.75, left of the crop's
    // own area; a stored 96 x 96 crop could only repeat its first column (about 80.25) there.
    var shifted = [Float](repeating: 0, count: KaggleDataset.pixelCount)
    shifted.withUnsafeMutableBufferPointer {
      Augmentation(shift: SIMD2(20, 0)).warp(frame: frame, placement: placement, into: $0.baseAddress!, gain: 1, offset: 0)
    }
    XCTAssertEqual(shifted[40 * 96], 50.25, accuracy: 0.01)
  }
}

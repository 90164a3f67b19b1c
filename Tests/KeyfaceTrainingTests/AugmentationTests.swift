import Foundation
import KeyfaceNN
import XCTest

@testable import KeyfaceTraining

final class AugmentationTests: XCTestCase {
  private let pixels = Fixtures.pixels(seed: 3)
  private let coordinates: [Float] = (0..<30).map { 20 + Float($0) * 1.5 }
  private let present = [Float](repeating: 1, count: 30)

  func testFlipMovesLeftPointToRightAt96MinusX() {
    let flipped = Augmentation(flip: true).apply(pixels: pixels, coordinates: coordinates, mask: present)
    for (a, b) in Keypoints.flipPairs {
      // The subject's left eye centre (0) lands where the right one (1) is named, at 96 - x.
      XCTAssertEqual(flipped.coordinates[2 * b], 96 - coordinates[2 * a], accuracy: 1e-4)
      XCTAssertEqual(flipped.coordinates[2 * b + 1], coordinates[2 * a + 1], accuracy: 1e-4)
      XCTAssertEqual(flipped.coordinates[2 * a], 96 - coordinates[2 * b], accuracy: 1e-4)
    }
    let nose = Keypoints.names.firstIndex(of: "nose_tip")!
    XCTAssertEqual(flipped.coordinates[2 * nose], 96 - coordinates[2 * nose], accuracy: 1e-4)
    // Pixel (x, y) moves to (95 - x, y).
    XCTAssertEqual(flipped.pixels[5 * 96 + 95 - 10], Float(pixels[5 * 96 + 10]))
  }

  func testFlipTwiceIsIdentity() {
    let once = Augmentation(flip: true).apply(pixels: pixels, coordinates: coordinates, mask: present)
    let twice = Augmentation(flip: true).apply(pixels: once.pixels.map { UInt8($0) }, coordinates: once.coordinates, mask: once.mask)
    XCTAssertEqual(twice.pixels, pixels.map(Float.init))
    for k in 0..<30 { XCTAssertEqual(twice.coordinates[k], coordinates[k], accuracy: 1e-4) }
    XCTAssertEqual(twice.mask, present)
  }

  func testFlipSwapsMasksWithPoints() {
    var mask = present
    mask[0] = 0  // left_eye_center missing
    mask[1] = 0
    let flipped = Augmentation(flip: true).apply(pixels: pixels, coordinates: coordinates, mask: mask)
    XCTAssertEqual(Array(flipped.mask[0..<4]), [1, 1, 0, 0])  // now the right eye centre is the missing one
  }

  func testGeometryMovesPointsWithPixelsAndInverts() {
    let a = Augmentation(flip: true, rotation: 0.2, scale: 1.1, shift: SIMD2(3, -2))
    let p = SIMD2<Float>(30, 60)
    let back = a.inverse(a.transform(p))
    XCTAssertEqual(back.x, p.x, accuracy: 1e-4)
    XCTAssertEqual(back.y, p.y, accuracy: 1e-4)
    // A single bright pixel must land where its centre's transform says.
    var dot = [UInt8](repeating: 0, count: 9216)
    dot[40 * 96 + 30] = 255
    let rotated = Augmentation(rotation: 0.3, scale: 1.2, shift: SIMD2(2, 1)).apply(
      pixels: dot, coordinates: coordinates, mask: present)
    let brightest = rotated.pixels.indices.max { rotated.pixels[$0] < rotated.pixels[$1] }!
    let expected = Augmentation(rotation: 0.3, scale: 1.2, shift: SIMD2(2, 1)).transform(SIMD2(30.5, 40.5))
    XCTAssertEqual(Float(brightest % 96) + 0.5, expected.x, accuracy: 1.0)
    XCTAssertEqual(Float(brightest / 96) + 0.5, expected.y, accuracy: 1.0)
  }

  /// A smooth blob's centroid in the warped crop lands where `transform` moves its centre, to a small fraction
  /// of a pixel, in x and y, with and without a flip: pixels and labels must not drift apart, or a network
  /// trained on them learns the drift as a bias.
  func testWarpedBlobCentroidMatchesMovedPoint() {
    let centre = SIMD2<Float>(41.3, 52.8)
    var blob = [UInt8](repeating: 0, count: 9216)
    for y in 0..<96 {
      for x in 0..<96 {
        let d = SIMD2(Float(x) + 0.5, Float(y) + 0.5) - centre
        blob[y * 96 + x] = UInt8((250 * exp(-(d * d).sum() / (2 * 2.5 * 2.5))).rounded())
      }
    }
    let cases = [
      Augmentation(), Augmentation(flip: true), Augmentation(shift: SIMD2(3.25, -1.5)),
      Augmentation(flip: true, rotation: 0.15, scale: 1.1, shift: SIMD2(-2.5, 4)),
      Augmentation(rotation: -0.12, scale: 0.9, shift: SIMD2(6, 0.75)),
    ]
    for a in cases {
      let out = a.apply(pixels: blob, coordinates: coordinates, mask: present).pixels
      var sum: Float = 0
      var moment = SIMD2<Float>.zero
      for y in 0..<96 {
        for x in 0..<96 {
          let v = out[y * 96 + x]
          sum += v
          moment += v * SIMD2(Float(x) + 0.5, Float(y) + 0.5)
        }
      }
      let measured = moment / sum
      let expected = a.transform(centre)
      XCTAssertEqual(measured.x, expected.x, accuracy: 0.05, "\(a)")
      XCTAssertEqual(measured.y, expected.y, accuracy: 0.05, "\(a)")
    }
  }

  func testPointsPushedOutAreMasked() {
    var xy = coordinates
    xy[0] = 2  // left_eye_center near the left edge
    xy[1] = 50
    let shifted = Augmentation(shift: SIMD2(-5, 0)).apply(pixels: pixels, coordinates: xy, mask: present)
    XCTAssertEqual(shifted.mask[0], 0)
    XCTAssertEqual(shifted.mask[1], 0)
    XCTAssertEqual(shifted.coordinates[0], 0)
    XCTAssertEqual(shifted.mask[2], 1)
    XCTAssertEqual(shifted.coordinates[2], xy[2] - 5, accuracy: 1e-4)
  }

  func testPhotometricChangeAndBorderReplicate() {
    let brighter = Augmentation(brightness: 0.1, contrast: 1).apply(pixels: pixels, coordinates: coordinates, mask: present)
    for i in [0, 100, 5000] { XCTAssertEqual(brighter.pixels[i], min(Float(pixels[i]) + 25.5, 255), accuracy: 1e-3) }
    // Shifting right by 10 px repeats column 0 into the first 10 columns.
    let shifted = Augmentation(shift: SIMD2(10, 0)).apply(pixels: pixels, coordinates: coordinates, mask: present)
    for x in 0..<10 { XCTAssertEqual(shifted.pixels[7 * 96 + x], Float(pixels[7 * 96]), accuracy: 1e-3) }
  }

  func testRandomDrawsAreDeterministicAndBounded() {
    var a = SeededRandom(mixing: 42, 1, 7)
    var b = SeededRandom(mixing: 42, 1, 7)
    let options = AugmentationOptions.standard
    for _ in 0..<100 {
      let x = Augmentation.random(options, using: &a)
      XCTAssertEqual(x, Augmentation.random(options, using: &b))
      XCTAssertLessThanOrEqual(abs(x.rotation), options.maxRotationDegrees * .pi / 180 + 1e-6)
      XCTAssertLessThanOrEqual(abs(x.scale - 1), options.maxScale + 1e-6)
    }
    var fresh = SeededRandom(mixing: 42, 1, 7)
    var other = SeededRandom(mixing: 42, 1, 8)
    XCTAssertNotEqual(Augmentation.random(options, using: &fresh), Augmentation.random(options, using: &other))
  }
}

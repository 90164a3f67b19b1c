import KeyfaceMedia
import KeyfaceNN
import XCTest

@testable import KeyfaceDetection
@testable import KeyfaceFaces

final class KeypointDrawerTests: XCTestCase {
  func greyFrame(width: Int = 320, height: Int = 240) -> YUVImage {
    let cw = (width + 1) / 2, ch = (height + 1) / 2
    return YUVImage(
      width: width, height: height, y: [UInt8](repeating: 90, count: width * height),
      u: [UInt8](repeating: 128, count: cw * ch), v: [UInt8](repeating: 128, count: cw * ch))
  }

  func face() -> FaceResult {
    let points = (0..<15).map { SIMD2<Float>(100 + Float($0 % 5) * 20, 80 + Float($0 / 5) * 25) }
    return FaceResult(id: 7, score: 0.93, box: FaceBox(x: 80, y: 60, width: 120, height: 100), keypoints: points)
  }

  func testDotsChangePixelsAtPointsOnly() {
    var image = greyFrame()
    let original = image
    let f = face()
    KeypointDrawer().draw([f], on: &image)
    for (i, p) in f.keypoints.enumerated() {
      let x = Int(p.x), y = Int(p.y)
      let color: DrawColor = Keypoints.side[i] > 0 ? .left : Keypoints.side[i] < 0 ? .right : .midline
      XCTAssertEqual(image.y[y * 320 + x], color.y, "point \(i)")
      XCTAssertEqual(image.u[(y / 2) * 160 + x / 2], color.u, accuracy: 12, "point \(i)")
      XCTAssertEqual(image.v[(y / 2) * 160 + x / 2], color.v, accuracy: 12, "point \(i)")
    }
    // Far from any point, nothing changed.
    for (x, y) in [(5, 5), (300, 200), (160, 230), (20, 120)] {
      XCTAssertEqual(image.y[y * 320 + x], original.y[y * 320 + x])
      XCTAssertEqual(image.u[(y / 2) * 160 + x / 2], 128)
    }
    // Without --draw extras, the box edge is untouched.
    XCTAssertEqual(image.y[60 * 320 + 140], 90)
  }

  func testThreeColoursAreDistinct() {
    let colors = [DrawColor.left, .right, .midline]
    for i in 0..<3 {
      for j in (i + 1)..<3 { XCTAssertNotEqual(colors[i], colors[j]) }
    }
  }

  func testDotsAreAntiAliasedAndSizedToTheFace() {
    var image = greyFrame()
    var f = face()
    f.keypoints = Array(repeating: SIMD2(160.3, 120.7), count: 15)
    KeypointDrawer().draw([f], on: &image)
    // Some pixels at the rim are partly covered: neither the background nor the full colour nor black.
    let values = Set(image.y)
    XCTAssertGreaterThan(values.count, 4)
    XCTAssertGreaterThan(KeypointDrawer.dotRadius(faceWidth: 400), KeypointDrawer.dotRadius(faceWidth: 100))
    XCTAssertGreaterThanOrEqual(KeypointDrawer.dotRadius(faceWidth: 10), 1.5)
  }

  func testBoxAndIDAreDrawnWhenAsked() {
    var plain = greyFrame()
    var extras = greyFrame()
    KeypointDrawer().draw([face()], on: &plain)
    KeypointDrawer(elements: [.box, .id, .labels]).draw([face()], on: &extras)
    // The box's top edge, away from the points.
    XCTAssertEqual(extras.y[60 * 320 + 140], DrawColor.box.y)
    XCTAssertEqual(plain.y[60 * 320 + 140], 90)
    // The id label sits above the box: some white text pixels there.
    var white = 0
    for y in 40..<60 {
      for x in 80..<140 where extras.y[y * 320 + x] == DrawColor.text.y { white += 1 }
    }
    XCTAssertGreaterThan(white, 10)
  }

  func testDrawingOffTheFrameIsSafe() {
    var image = greyFrame(width: 33, height: 17)
    let f = FaceResult(
      id: 1, score: 0.5, box: FaceBox(x: -50, y: -40, width: 200, height: 150),
      keypoints: [SIMD2(-10, -10), SIMD2(32.9, 16.9), SIMD2(.nan, 3), SIMD2(1e9, -1e9)] + Array(repeating: SIMD2(0, 0), count: 11))
    KeypointDrawer(elements: Set(DrawElement.allCases)).draw([f], on: &image)
  }
}

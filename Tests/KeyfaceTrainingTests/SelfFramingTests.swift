import KeyfaceNN
import XCTest

@testable import KeyfaceTraining

final class SelfFramingTests: XCTestCase {
  /// A face-like layout: 15 points spread over the crop.
  private let layout: [SIMD2<Float>] = (0..<15).map { SIMD2(20 + Float($0 % 5) * 14 + Float($0 % 3), 30 + Float($0 / 5) * 22) }

  private func random(_ generator: inout SeededRandom, spread: Float) -> [SIMD2<Float>] {
    layout.map { $0 + SIMD2(generator.uniform(-spread, spread), generator.uniform(-spread, spread)) }
  }

  /// The crop points of `frame` points: the least-squares scale and shift onto the layout applied to them.
  private func framed(_ frame: [SIMD2<Float>]) -> [SIMD2<Float>] {
    let fit = FaceFrames.fit(crop: frame, frame: layout)!  // frame -> layout, as the crops were made
    return frame.map { $0 * fit.scale + fit.shift }
  }

  private func distance(_ a: [SIMD2<Float>], _ b: [SIMD2<Float>]) -> Float {
    zip(a, b).map { (($0 - $1) * ($0 - $1)).sum() }.reduce(0, +).squareRoot()
  }

  /// Keypoints of self-framed crops stay where they are; a prediction moves to keypoints whose own framing is the
  /// identity, and comes out nearer the truth than it went in.
  func testProjectionKeepsFramedShapesAndFramesPredictions() {
    let framing = SelfFraming(layout: layout)
    var generator = SeededRandom(seed: 5)
    var before: Float = 0
    var after: Float = 0
    for _ in 0..<50 {
      // A face in a frame: the layout deformed, scaled and moved.
      let frame = random(&generator, spread: 6).map { $0 * 2.3 + SIMD2(100, 40) }
      let truth = framed(frame)
      XCTAssertLessThan(distance(framing.project(truth), truth), 1e-3)
      let predicted = truth.map { $0 + SIMD2(generator.uniform(-2, 2), generator.uniform(-2, 2)) + SIMD2(0.7, -0.4) }
      let projected = framing.project(predicted)
      XCTAssertLessThan(distance(framed(projected), projected), 1e-3, "framing the projection changes nothing")
      XCTAssertLessThan(distance(framing.project(projected), projected), 1e-3, "projecting twice changes nothing")
      before += distance(predicted, truth)
      after += distance(projected, truth)
    }
    XCTAssertLessThan(after, 0.95 * before)
  }

  func testCoordinatesAndCentroidSpread() {
    let framing = SelfFraming(layout: layout)
    let flat = layout.flatMap { [$0.x, $0.y] }
    XCTAssertEqual(framing.centroidSpread(coordinates: flat + flat), 0, accuracy: 1e-4)
    let moved = layout.flatMap { [$0.x + 3, $0.y + 4] }
    XCTAssertEqual(framing.centroidSpread(coordinates: moved), 5, accuracy: 1e-4)
    XCTAssertEqual(framing.centroidSpread(coordinates: flat + moved), (25 / 2 as Float).squareRoot(), accuracy: 1e-4)
    // Face by face, the same as projecting points.
    let projected = framing.project(coordinates: flat + moved)
    XCTAssertEqual(Array(projected[30..<60]), framing.project(layout.map { $0 + SIMD2(3, 4) }).flatMap { [$0.x, $0.y] })
    XCTAssertEqual(framing.centroidSpread(coordinates: projected), 0, accuracy: 1e-4)
  }
}

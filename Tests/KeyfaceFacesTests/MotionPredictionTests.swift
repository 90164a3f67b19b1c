import XCTest

@testable import KeyfaceFaces

final class MotionPredictionTests: XCTestCase {
  /// A square of four points centred at `center` with half-side `half`.
  func square(_ center: SIMD2<Float>, _ half: Float) -> [SIMD2<Float>] {
    [SIMD2(-1, -1), SIMD2(1, -1), SIMD2(1, 1), SIMD2(-1, 1)].map { center + $0 * half }
  }

  func assertClose(_ a: [SIMD2<Float>], _ b: [SIMD2<Float>], _ tolerance: Float, line: UInt = #line) {
    for (p, q) in zip(a, b) {
      XCTAssertLessThan(((p - q) * (p - q)).sum().squareRoot(), tolerance, "\(p) vs \(q)", line: line)
    }
  }

  func testSteadyPanAndZoomArePredicted() {
    // 30 fps, the face moves 3 px right and 1 px down and grows 2% per frame.
    func face(_ t: Int) -> [SIMD2<Float>] {
      square(SIMD2(100 + 3 * Float(t), 80 + Float(t)), 20 * powf(1.02, Float(t)))
    }
    var motion = MotionPrediction(time: 0)
    // Nothing measured yet: the face is expected where it was.
    XCTAssertEqual(motion.predict(face(0), at: 1.0 / 30), face(0))
    for t in 1...6 {
      motion.update(from: face(t - 1), to: face(t), at: Double(t) / 30)
    }
    assertClose(motion.predict(face(6), at: 7.0 / 30), face(7), 0.05)
    // Half a frame later, half the step.
    let halfway = square(SIMD2(100 + 3 * 6.5, 80 + 6.5), 20 * powf(1.02, 6.5))
    assertClose(motion.predict(face(6), at: 6.5 / 30), halfway, 0.05)
  }

  func testAFaceAtRestStaysAndNoisyStepsAreSmoothed() {
    var motion = MotionPrediction(time: 0)
    let rest = square(SIMD2(50, 50), 10)
    for t in 1...5 { motion.update(from: rest, to: rest, at: Double(t) / 25) }
    assertClose(motion.predict(rest, at: 6.0 / 25), rest, 1e-4)
    // One jump of 4 px moves the prediction by less than the jump.
    let jumped = square(SIMD2(54, 50), 10)
    motion.update(from: rest, to: jumped, at: 6.0 / 25)
    let predicted = motion.predict(jumped, at: 7.0 / 25)
    XCTAssertLessThan(predicted[0].x - jumped[0].x, 4)
    XCTAssertGreaterThan(predicted[0].x - jumped[0].x, 0)
  }

  func testLongGapsAndFastMotionAreCapped() {
    var motion = MotionPrediction(time: 0)
    let a = square(SIMD2(100, 100), 10), b = square(SIMD2(130, 100), 10)
    motion.update(from: a, to: b, at: 0.04)  // 750 px/s
    // Ten seconds later (a gap in a variable-frame-rate clip) the face is not sent off the picture: at most half
    // its size (its RMS radius, 14 px here) away.
    let predicted = motion.predict(b, at: 10)
    let (center, _) = MotionPrediction.centerAndSize(of: predicted)
    let limit: Float = 0.5 * 10 * Float(2).squareRoot()
    XCTAssertLessThanOrEqual(center.x - 130, limit + 1e-3)
    XCTAssertGreaterThan(center.x, 130)
    // Time going backwards (a reordered timestamp) predicts no motion.
    assertClose(motion.predict(b, at: 0.0), b, 1e-4)
  }
}

import Foundation
import XCTest

@testable import KeyfaceFaces
import KeyfaceNN

final class KeypointSmootherTests: XCTestCase {
  let layout = KaggleLayout.meanPoints

  /// The layout moved rigidly: centre, scale (frame pixels per crop unit) and angle at time t.
  func face(_ t: Double) -> [SIMD2<Float>] {
    let transform = CropTransform(
      centerX: Float(300 + 200 * sin(t)), centerY: Float(200 + 80 * cos(1.3 * t)),
      side: Float(200 * (1 + 0.2 * sin(0.7 * t))), angle: Float(0.2 * sin(t)))
    return layout.map { transform.frame(from: $0) }
  }

  func meanError(_ a: [SIMD2<Float>], _ b: [SIMD2<Float>]) -> Float {
    zip(a, b).map { (($0 - $1) * ($0 - $1)).sum().squareRoot() }.reduce(0, +) / Float(a.count)
  }

  func smoother() -> KeypointSmoother {
    KeypointSmoother(
      layout: layout, shape: TrackerOptions.defaultShapeFilter, pose: TrackerOptions.defaultPoseFilter)
  }

  func testStillFaceIsUnchanged() {
    var s = smoother()
    let still = face(0)
    for i in 0..<30 {
      XCTAssertLessThan(meanError(s.smooth(still, at: Double(i) / 30, faceSize: 200), still), 1e-2)
    }
  }

  func testRigidHeadMotionIsFollowedWithLittleLag() {
    var s = smoother()
    var worst: Float = 0
    for i in 0..<150 {
      let t = Double(i) / 30
      let out = s.smooth(face(t), at: t, faceSize: 200)
      if i > 15 { worst = max(worst, meanError(out, face(t))) }
    }
    // The face moves up to ~7 px per frame; the smoothed points stay within ~2 px (eyes are ~85 px apart).
    XCTAssertLessThan(worst, 2.5)
  }

  func testNoiseIsReducedOnAMovingFace() {
    var s = smoother()
    var generator = SystemRandomNumberGenerator()
    var raw: Float = 0, smoothed: Float = 0
    for i in 0..<150 {
      let t = Double(i) / 30
      let truth = face(t)
      let noisy = truth.map { $0 + SIMD2(Float.random(in: -3...3, using: &generator), Float.random(in: -3...3, using: &generator)) }
      let out = s.smooth(noisy, at: t, faceSize: 200)
      if i > 15 {
        raw += meanError(noisy, truth)
        smoothed += meanError(out, truth)
      }
    }
    XCTAssertLessThan(smoothed, 0.7 * raw)
  }

  func testExpressionChangeIsFollowed() {
    var s = smoother()
    let closed = face(0)
    var open = closed
    open[14].y += 20  // the bottom lip drops
    for i in 0..<30 { _ = s.smooth(closed, at: Double(i) / 30, faceSize: 200) }
    var out = closed
    for i in 30..<45 { out = s.smooth(open, at: Double(i) / 30, faceSize: 200) }
    // Half a second later the lip has (nearly) followed.
    XCTAssertEqual(out[14].y, open[14].y, accuracy: 3)
  }
}

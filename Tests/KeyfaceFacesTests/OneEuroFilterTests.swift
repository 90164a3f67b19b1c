import XCTest

@testable import KeyfaceFaces

final class OneEuroFilterTests: XCTestCase {
  func testConstantSignalPassesUnchanged() {
    var filter = OneEuroFilter(minCutoff: 1, beta: 0.5, derivativeCutoff: 1)
    for i in 0..<100 {
      XCTAssertEqual(filter.filter(42.5, at: Double(i) / 30), 42.5, accuracy: 1e-12)
    }
  }

  func testNoiseIsReduced() {
    var filter = OneEuroFilter(minCutoff: 1, beta: 0.01, derivativeCutoff: 1)
    var rng = SystemRandomNumberGenerator()
    var rawError = 0.0, filteredError = 0.0
    for i in 0..<600 {
      let noise = Double.random(in: -1...1, using: &rng)
      let out = filter.filter(100 + noise, at: Double(i) / 30)
      if i >= 30 {
        rawError += noise * noise
        filteredError += (out - 100) * (out - 100)
      }
    }
    // The error's energy drops by far more than half.
    XCTAssertLessThan(filteredError, 0.25 * rawError)
  }

  func testStepIsFollowed() {
    var filter = OneEuroFilter(minCutoff: 1, beta: 0.5, derivativeCutoff: 1)
    for i in 0..<30 { _ = filter.filter(0, at: Double(i) / 30) }
    var last = 0.0
    for i in 30..<60 { last = filter.filter(100, at: Double(i) / 30) }
    // One second after the step, the output has reached the new level.
    XCTAssertEqual(last, 100, accuracy: 1)
  }

  func testFastMotionHasLessLagWithHigherBeta() {
    func lag(beta: Double) -> Double {
      var filter = OneEuroFilter(minCutoff: 1, beta: beta, derivativeCutoff: 1)
      var out = 0.0
      for i in 0..<60 { out = filter.filter(Double(i) * 10, at: Double(i) / 30) }
      return 590 - out
    }
    XCTAssertLessThan(lag(beta: 1), lag(beta: 0))
    XCTAssertGreaterThan(lag(beta: 0), 0)
  }

  func testTimeBasedNotFrameBased() {
    // The same signal sampled at 60 fps instead of 30 is smoothed to the same value at the same time.
    var a = OneEuroFilter(minCutoff: 1, beta: 0, derivativeCutoff: 1)
    var b = a
    var outA = 0.0, outB = 0.0
    _ = a.filter(0, at: 0)
    _ = b.filter(0, at: 0)
    for i in 1...30 { outA = a.filter(1, at: Double(i) / 30) }
    for i in 1...60 { outB = b.filter(1, at: Double(i) / 60) }
    XCTAssertEqual(outA, outB, accuracy: 0.02)
  }

  func testResetForgetsHistory() {
    var filter = OneEuroFilter()
    for i in 0..<10 { _ = filter.filter(0, at: Double(i)) }
    filter.reset()
    XCTAssertEqual(filter.filter(7, at: 11), 7)
  }
}

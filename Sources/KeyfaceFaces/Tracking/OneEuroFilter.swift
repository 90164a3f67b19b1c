// The One Euro filter (Casiez, Roussel and Vogel, CHI 2012): a low-pass filter whose cutoff rises with the
// signal's speed, so slow movements (jitter) are smoothed strongly and fast ones follow with little lag.
// Time-based: each sample carries its timestamp, so variable frame rates are handled.

import Foundation

/// A One Euro filter for one scalar signal sampled at arbitrary times.
public struct OneEuroFilter: Sendable {
  /// Cutoff frequency at rest in Hz, e.g. 1.0: lower smooths more.
  public var minCutoff: Double
  /// Speed coefficient, e.g. 0.5: higher follows fast motion with less lag.
  public var beta: Double
  /// Cutoff in Hz of the low-pass filter on the derivative, e.g. 1.0.
  public var derivativeCutoff: Double

  private var lastTime: Double?
  private var lastValue: Double = 0
  private var lastDerivative: Double = 0

  /// Creates a filter with the paper's three parameters.
  public init(minCutoff: Double = 1.0, beta: Double = 0.5, derivativeCutoff: Double = 1.0) {
    self.minCutoff = minCutoff
    self.beta = beta
    self.derivativeCutoff = derivativeCutoff
  }

  /// Forgets the signal's history: the next sample passes unchanged.
  public mutating func reset() {
    lastTime = nil
    lastDerivative = 0
  }

  /// Filters `value` observed at `time` seconds; returns the smoothed value.
  ///
  /// - Parameter speedScale: divides the derivative before it raises the cutoff, so `beta` can be expressed
  ///   per unit of some size (e.g. the face size in pixels) instead of per pixel.
  public mutating func filter(_ value: Double, at time: Double, speedScale: Double = 1) -> Double {
    guard let previous = lastTime else {
      lastTime = time
      lastValue = value
      lastDerivative = 0
      return value
    }
    var dt = time - previous
    // Equal or backwards timestamps (duplicated pts, a still image) would divide by zero: assume 1/30 s.
    if !(dt > 1e-6) { dt = 1.0 / 30 }
    let derivative = (value - lastValue) / dt
    let aD = OneEuroFilter.alpha(cutoff: derivativeCutoff, dt: dt)
    let smoothDerivative = lastDerivative + aD * (derivative - lastDerivative)
    let cutoff = minCutoff + beta * abs(smoothDerivative) / max(speedScale, 1e-9)
    let a = OneEuroFilter.alpha(cutoff: cutoff, dt: dt)
    let filtered = lastValue + a * (value - lastValue)
    lastTime = time
    lastValue = filtered
    lastDerivative = smoothDerivative
    return filtered
  }

  /// The smoothing factor of an exponential filter with `cutoff` Hz at sample spacing `dt` seconds.
  static func alpha(cutoff: Double, dt: Double) -> Double {
    let tau = 1 / (2 * Double.pi * cutoff)
    return 1 / (1 + tau / dt)
  }
}

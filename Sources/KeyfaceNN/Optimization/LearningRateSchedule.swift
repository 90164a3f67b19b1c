import Foundation

/// The learning rate as a function of the optimiser step (0-based).
public enum LearningRateSchedule {
  /// The same rate at every step (the seed notebook: Adam's 0.001).
  case constant(Float)
  /// Linear warm-up from peak/warmupSteps to `peak` over `warmupSteps`, then a cosine decay to `floor` at `totalSteps`.
  case warmupCosine(peak: Float, warmupSteps: Int, totalSteps: Int, floor: Float)
  /// `initial * factor^(step / every)`, e.g. halve every 10 epochs' worth of steps.
  case step(initial: Float, every: Int, factor: Float)

  /// The learning rate for optimiser step `step` (0-based).
  public func rate(at step: Int) -> Float {
    switch self {
    case let .constant(rate):
      return rate
    case let .warmupCosine(peak, warmupSteps, totalSteps, floor):
      if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
      let span = max(1, totalSteps - warmupSteps)
      let progress = min(1, Float(step - warmupSteps) / Float(span))
      return floor + (peak - floor) * 0.5 * (1 + cos(Float.pi * progress))
    case let .step(initial, every, factor):
      return initial * pow(factor, Float(step / max(1, every)))
    }
  }
}

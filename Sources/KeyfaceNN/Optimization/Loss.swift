/// Masked losses: each returns the mean over present (mask = 1) elements and the gradient with respect to the
/// prediction (same shape as the prediction; zero where the mask is 0). With no present element the loss is 0.
///
/// Layout: prediction, target and mask all (N, F), e.g. (32, 30) keypoint coordinates scaled to about -1...1.
public enum Loss {
  /// Mean squared error over present elements (the seed notebook's loss).
  public static func maskedMSE(prediction: Tensor, target: Tensor, mask: Tensor) -> (loss: Float, dPrediction: Tensor) {
    masked(prediction, target, mask) { d in (d * d, 2 * d) }
  }

  /// Mean absolute error over present elements.
  public static func maskedL1(prediction: Tensor, target: Tensor, mask: Tensor) -> (loss: Float, dPrediction: Tensor) {
    masked(prediction, target, mask) { d in (abs(d), d > 0 ? 1 : (d < 0 ? -1 : 0)) }
  }

  /// Wing loss (Feng et al. 2018) over present elements: w*ln(1 + |d|/epsilon) for |d| < w, else |d| - C, with C making
  /// it continuous. In the units of the prediction (w = 10 px is w = 10/48 in -1...1 units).
  public static func maskedWing(
    prediction: Tensor, target: Tensor, mask: Tensor, w: Float, epsilon: Float
  ) -> (loss: Float, dPrediction: Tensor) {
    require(w > 0 && epsilon > 0, "Loss.maskedWing: w and epsilon must be positive")
    let c = w - w * log1p(w / epsilon)
    return masked(prediction, target, mask) { d in
      let a = abs(d)
      let sign: Float = d > 0 ? 1 : (d < 0 ? -1 : 0)
      if a < w { return (w * log1p(a / epsilon), sign * w / (epsilon + a)) }
      return (a - c, sign)
    }
  }

  /// Binary cross-entropy of sigmoid(prediction) against targets in 0...1, computed stably from logits.
  public static func maskedBinaryCrossEntropyWithLogits(
    prediction: Tensor, target: Tensor, mask: Tensor
  ) -> (loss: Float, dPrediction: Tensor) {
    require(prediction.shape == target.shape && prediction.shape == mask.shape, "Loss: shapes differ")
    var total: Double = 0
    var present: Float = 0
    var gradient = [Float](repeating: 0, count: prediction.count)
    for i in 0..<prediction.count where mask.data[i] != 0 {
      let z = prediction.data[i]
      let y = target.data[i]
      total += Double(max(z, 0) - z * y + log1p(exp(-abs(z))))
      gradient[i] = 1 / (1 + exp(-z)) - y
      present += 1
    }
    return finish(total, present, gradient, prediction.shape)
  }

  /// Applies `f(difference) -> (loss, dLoss/dDifference)` to present elements and averages.
  private static func masked(
    _ prediction: Tensor, _ target: Tensor, _ mask: Tensor, _ f: (Float) -> (Float, Float)
  ) -> (loss: Float, dPrediction: Tensor) {
    require(prediction.shape == target.shape && prediction.shape == mask.shape, "Loss: shapes differ")
    var total: Double = 0
    var present: Float = 0
    var gradient = [Float](repeating: 0, count: prediction.count)
    for i in 0..<prediction.count where mask.data[i] != 0 {
      let (value, slope) = f(prediction.data[i] - target.data[i])
      total += Double(value)
      gradient[i] = slope
      present += 1
    }
    return finish(total, present, gradient, prediction.shape)
  }

  private static func finish(
    _ total: Double, _ present: Float, _ gradient: [Float], _ shape: [Int]
  ) -> (loss: Float, dPrediction: Tensor) {
    guard present > 0 else { return (0, Tensor(zeros: shape)) }
    let scale = 1 / present
    return (Float(total / Double(present)), Tensor(shape: shape, data: gradient.map { $0 * scale }))
  }
}

import Foundation

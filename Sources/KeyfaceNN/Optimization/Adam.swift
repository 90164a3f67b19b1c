/// Adam (Kingma & Ba) with Keras's update form, plus optional decoupled weight decay (AdamW).
///
/// Per step t: m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; w -= lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps);
/// then, with weight decay, w -= lr * weightDecay * w for convolution and linear weights (not biases or batch norm).
public final class Adam {
  /// The tensors this optimiser updates.
  public let parameters: [Parameter]
  /// Decay rate of the first moment (0.9).
  public let beta1: Float
  /// Decay rate of the second moment (0.999).
  public let beta2: Float
  /// Added to sqrt(v) (1e-7, Keras's default).
  public let epsilon: Float
  /// Decoupled weight decay factor (0 = plain Adam; 1e-4 is typical for AdamW).
  public let weightDecay: Float
  /// Steps taken so far.
  public private(set) var stepCount = 0

  private var firstMoments: [[Float]]
  private var secondMoments: [[Float]]
  private let decays: [Bool]

  /// An optimiser for `parameters` with zero moments.
  public init(parameters: [Parameter], beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7, weightDecay: Float = 0) {
    self.parameters = parameters
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    firstMoments = parameters.map { [Float](repeating: 0, count: $0.value.count) }
    secondMoments = parameters.map { [Float](repeating: 0, count: $0.value.count) }
    decays = parameters.map { $0.name.hasSuffix(".weight") && $0.value.shape.count > 1 }
  }

  /// Applies one update from the parameters' current gradients (it does not zero them).
  public func step(learningRate: Float) {
    stepCount += 1
    let t = Float(stepCount)
    let b1 = beta1, b2 = beta2, eps = epsilon
    let alpha = learningRate * (1 - Foundation.pow(b2, t)).squareRoot() / (1 - Foundation.pow(b1, t))
    for (index, parameter) in parameters.enumerated() {
      let decay = decays[index] ? learningRate * weightDecay : 0
      let count = parameter.value.count
      parameter.withMutableValue { w in
        parameter.withGrad { g in
          firstMoments[index].withUnsafeMutableBufferPointer { mBuffer in
            secondMoments[index].withUnsafeMutableBufferPointer { vBuffer in
              let m = mBuffer.baseAddress!
              let v = vBuffer.baseAddress!
              parallelRanges(count, costPerItem: 4) { range in
                let i = range.lowerBound
                vectorAdamUpdate(
                  w: w + i, g: g + i, m: m + i, v: v + i, range.count, beta1: b1, beta2: b2, alpha: alpha, epsilon: eps,
                  decay: decay)
              }
            }
          }
        }
      }
    }
  }
}

import Foundation

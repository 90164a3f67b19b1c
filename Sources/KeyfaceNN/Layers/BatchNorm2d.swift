/// Batch normalisation over channels: batch statistics in training, running statistics in inference.
///
/// Layout: input and output (N, C, H, W); weight (gamma) and bias (beta) (C); running mean and variance (C).
/// Momentum 0.1 and epsilon 1e-5 as PyTorch; the running variance uses the unbiased batch variance.
final class BatchNorm2d: Layer {
  let channels: Int  // C (32)
  let momentum: Float = 0.1
  let epsilon: Float = 1e-5
  let weight: Parameter  // gamma (C)
  let bias: Parameter  // beta (C)
  let runningMean: Parameter  // (C), not trained
  let runningVar: Parameter  // (C), not trained
  /// Apply max(0, y) in the same pass (training fuses BatchNorm + ReLU; backward masks by output > 0).
  var fusedReLU = false

  private var plane = 0  // H*W
  private var batchMean = [Float]()  // (C) saved for backward
  private var batchInvStd = [Float]()  // (C)

  /// A batch norm named `name` ("bn1"): gamma 1, beta 0, running mean 0, running variance 1.
  init(channels: Int, name: String) {
    self.channels = channels
    weight = Parameter(name: "\(name).weight", value: Tensor(shape: [channels], data: [Float](repeating: 1, count: channels)))
    bias = Parameter(name: "\(name).bias", value: Tensor(zeros: [channels]))
    runningMean = Parameter(name: "\(name).running_mean", value: Tensor(zeros: [channels]))
    runningVar = Parameter(
      name: "\(name).running_var", value: Tensor(shape: [channels], data: [Float](repeating: 1, count: channels)))
    batchMean = [Float](repeating: 0, count: channels)
    batchInvStd = [Float](repeating: 1, count: channels)
  }

  /// A batch norm over existing parameters (shared with another network).
  init(weight: Parameter, bias: Parameter, runningMean: Parameter, runningVar: Parameter) {
    channels = weight.value.count
    self.weight = weight
    self.bias = bias
    self.runningMean = runningMean
    self.runningVar = runningVar
    batchMean = [Float](repeating: 0, count: channels)
    batchInvStd = [Float](repeating: 1, count: channels)
  }

  var parameters: [Parameter] { [weight, bias] }
  var buffers: [Parameter] { [runningMean, runningVar] }

  func prepare(inputShape: [Int]) -> [Int] {
    plane = inputShape[1] * inputShape[2]
    return inputShape
  }

  /// Per-channel scale and shift that inference applies: y = x * scale + shift.
  func inferenceScaleShift() -> (scale: [Float], shift: [Float]) {
    var scale = [Float](repeating: 0, count: channels)
    var shift = [Float](repeating: 0, count: channels)
    for c in 0..<channels {
      let s = weight.value.data[c] / (runningVar.value.data[c] + epsilon).squareRoot()
      scale[c] = s
      shift[c] = bias.value.data[c] - runningMean.value.data[c] * s
    }
    return (scale, shift)
  }

  // forward (training): y = (x - mean_c) * invstd_c * gamma_c + beta_c over the batch's (N, H, W) per channel
  func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
    let channels = channels
    let plane = plane
    if !training {
      let (scale, shift) = inferenceScaleShift()
      for n in 0..<batch {
        for c in 0..<channels {
          let x = input + (n * channels + c) * plane
          let y = output + (n * channels + c) * plane
          let s = scale[c]
          let t = shift[c]
          vectorScaleShift(y, x, plane, scale: s, shift: t, relu: fusedReLU)
        }
      }
      return
    }
    let m = Float(batch * plane)
    let relu = fusedReLU
    let momentum = momentum
    let epsilon = epsilon
    weight.withValue { gamma in
      bias.withValue { beta in
        runningMean.withMutableValue { rMean in
          runningVar.withMutableValue { rVar in
            batchMean.withUnsafeMutableBufferPointer { meanOut in
              batchInvStd.withUnsafeMutableBufferPointer { invStdOut in
                parallelRanges(channels, costPerItem: batch * plane * 3) { range in
                  for c in range {
                    // Two passes: mean first, then the centred variance (no E[x^2] - E[x]^2 cancellation).
                    var sum: Float = 0
                    for n in 0..<batch { sum += vectorSum(input + (n * channels + c) * plane, plane) }
                    let mean = sum / m
                    var sq: Float = 0
                    for n in 0..<batch { sq += vectorSumSquares(input + (n * channels + c) * plane, plane, shift: mean) }
                    let variance = sq / m
                    let invStd = 1 / (variance + epsilon).squareRoot()
                    meanOut[c] = mean
                    invStdOut[c] = invStd
                    let s = invStd * gamma[c]
                    let t = beta[c] - mean * s
                    for n in 0..<batch {
                      let x = input + (n * channels + c) * plane
                      let y = output + (n * channels + c) * plane
                      vectorScaleShift(y, x, plane, scale: s, shift: t, relu: relu)
                    }
                    let unbiased = m > 1 ? variance * m / (m - 1) : variance
                    rMean[c] = (1 - momentum) * rMean[c] + momentum * mean
                    rVar[c] = (1 - momentum) * rVar[c] + momentum * unbiased
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  // backward: dx = gamma * invstd / M * (M * dy - sum(dy) - xhat * sum(dy * xhat)); dgamma += sum(dy * xhat); dbeta += sum(dy)
  // With fusedReLU, dy is first masked by output > 0.
  func backward(
    input: UnsafePointer<Float>, output: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
    dInput: UnsafeMutablePointer<Float>?, batch: Int
  ) {
    let channels = channels
    let plane = plane
    let relu = fusedReLU
    let m = Float(batch * plane)
    weight.withValue { gamma in
      weight.accumulateGrad { dGamma, overwriteGamma in
        bias.accumulateGrad { dBeta, overwriteBeta in
          batchMean.withUnsafeBufferPointer { meanIn in
            batchInvStd.withUnsafeBufferPointer { invStdIn in
              parallelRanges(channels, costPerItem: batch * plane * 3) { range in
                for c in range {
                  let mean = meanIn[c]
                  let invStd = invStdIn[c]
                  var sumDy: Float = 0
                  var sumDyX: Float = 0
                  for n in 0..<batch {
                    let offset = (n * channels + c) * plane
                    let (g, gx) = vectorGradientSums(
                      dy: dOutput + offset, x: input + offset, mask: relu ? output + offset : nil, plane, shift: mean)
                    sumDy += g
                    sumDyX += gx
                  }
                  let sumDyXhat = invStd * sumDyX  // sum(dy * xhat)
                  dGamma[c] = overwriteGamma ? sumDyXhat : dGamma[c] + sumDyXhat
                  dBeta[c] = overwriteBeta ? sumDy : dBeta[c] + sumDy
                  guard let dInput else { continue }
                  // dx = a * dy + b * (x - mean) + d
                  let k = gamma[c] * invStd / m
                  let a = k * m
                  let b = -k * sumDyXhat * invStd
                  let d = -k * sumDy
                  for n in 0..<batch {
                    let offset = (n * channels + c) * plane
                    vectorBatchNormInputGradient(
                      dx: dInput + offset, dy: dOutput + offset, x: input + offset, mask: relu ? output + offset : nil,
                      plane, a: a, b: b, d: d, mean: mean)
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

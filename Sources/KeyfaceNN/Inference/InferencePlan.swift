// The inference engine behind KeypointPredictor. A network is compiled into steps that run in channel-major
// (C, N, H, W) layout: a convolution's GEMM output (OC, N*OH*OW) is then already the next layer's input, with no
// scatter pass. Batch norm is folded into the preceding convolution; a first layer (one input channel) followed
// by a 2x2 max pool runs as im2col with the pool fused in; other 3x3 stride-1 convolutions run as Winograd
// F(2x2) or F(4x4) and absorb a following 2x2 max pool; each ReLU is deferred to the step that reads its output
// (im2col, Winograd input copy, pooling, flatten or the next linear layer), where it costs nothing extra; dropout
// vanishes. All buffers are sized for `maxBatch` at compile time, so running the plan does not allocate.

/// A network compiled for inference (see the file banner). Not thread-safe.
final class InferencePlan {
  let inputShape: [Int]  // [C, H, W]
  let outputCount: Int
  let maxBatch: Int
  private let steps: [InferenceStep]
  private let reluOutput: Bool  // a ReLU at the very end
  private let bufferA: Buffer
  private let bufferB: Buffer
  private let profiling = ProcessInfo.processInfo.environment["KEYFACE_NN_PROFILE"] != nil
  private var stepSeconds: [Double] = []

  /// Use Winograd for 3x3 stride-1 padding-1 convolutions (tests also check the im2col path with it off).
  static var useWinograd = true

  init(network: Network, maxBatch: Int) {
    let specs = network.architecture.layers
    var steps: [InferenceStep] = []
    var shape = network.shapes[0]
    var pendingReLU = false
    var index = 0
    func nextIs(_ spec: LayerSpec) -> Bool { index < specs.count && specs[index] == spec }
    func add(_ step: InferenceStep) {
      step.reluInput = pendingReLU
      pendingReLU = false
      steps.append(step)
      shape = step.outputShape
    }
    while index < specs.count {
      let layer = network.layers[index]
      index += 1
      switch layer {
      case let conv as Conv2d:
        var weight = conv.weight.value.data
        var bias = conv.bias.value.data
        if nextIs(.batchNorm), let norm = network.layers[index] as? BatchNorm2d {
          index += 1
          let (scale, shift) = norm.inferenceScaleShift()
          let perChannel = weight.count / conv.outputChannels
          for o in 0..<conv.outputChannels {
            for j in 0..<perChannel { weight[o * perChannel + j] *= scale[o] }
            bias[o] = bias[o] * scale[o] + shift[o]
          }
        }
        // Before a 2x2 pooling (after its ReLU, if any)?
        let pools =
          nextIs(.maxPool(size: 2)) || (nextIs(.relu) && index + 1 < specs.count && specs[index + 1] == .maxPool(size: 2))
        if pools && shape[0] == 1 {
          // A first layer: im2col with the pooling fused in (see ConvPoolStep); the pooling spec is skipped below.
          add(
            ConvPoolStep(
              inputShape: shape, outputChannels: conv.outputChannels, kernel: conv.kernelSize, stride: conv.stride,
              padding: conv.padding, weight: weight, bias: bias))
          if nextIs(.relu) {
            index += 1
            pendingReLU = true
          }
          index += 1
          continue
        }
        if InferencePlan.useWinograd && WinogradConvStep.supports(kernel: conv.kernelSize, stride: conv.stride, padding: conv.padding) {
          // An odd last output row or column would be pooled away: the step skips it, so it can take the pooling over.
          add(
            WinogradConvStep(
              inputShape: shape, outputChannels: conv.outputChannels, weight: weight, bias: bias, padding: conv.padding,
              evenOutput: pools))
        } else {
          add(
            ConvStep(
              inputShape: shape, outputChannels: conv.outputChannels, kernel: conv.kernelSize, stride: conv.stride,
              padding: conv.padding, weight: weight, bias: bias))
        }
        if nextIs(.relu) {
          index += 1
          pendingReLU = true
        }
      case let norm as BatchNorm2d:
        let (scale, shift) = norm.inferenceScaleShift()
        add(AffineStep(inputShape: shape, scale: scale, shift: shift))
        if nextIs(.relu) {
          index += 1
          pendingReLU = true
        }
      case is ReLU:
        pendingReLU = true
      case let pool as MaxPool2d:
        // A 2x2 pool right after a Winograd convolution (a deferred ReLU commutes with max) is done by it.
        if pool.size == 2, let winograd = steps.last as? WinogradConvStep, !winograd.fusedPool,
          shape == winograd.outputShape, shape[1] % 2 == 0, shape[2] % 2 == 0
        {
          winograd.fusePool()
          shape = winograd.outputShape
        } else {
          add(MaxPoolStep(inputShape: shape, size: pool.size))
        }
      case is GlobalAvgPool:
        add(GlobalAvgPoolStep(inputShape: shape))
      case is SoftArgmax:
        add(SoftArgmaxStep(inputShape: shape))
      case is Flatten:
        if shape.count == 3 { add(FlattenStep(inputShape: shape)) }
      case let linear as Linear:
        add(LinearStep(weight: linear.weight.value.data, bias: linear.bias.value.data, inputFeatures: linear.inputFeatures))
        if nextIs(.relu) {
          index += 1
          pendingReLU = true
        }
      case is Dropout:
        continue  // identity in inference
      default:
        fatalError("InferencePlan: unsupported layer \(type(of: layer))")
      }
    }
    require(shape == [network.architecture.outputCount], "InferencePlan: plan output \(shape)")
    self.steps = steps
    self.reluOutput = pendingReLU
    self.inputShape = network.shapes[0]
    self.outputCount = network.architecture.outputCount
    self.maxBatch = maxBatch
    var largest = inputShape.reduce(1, *)
    for step in steps { largest = max(largest, step.outputShape.reduce(1, *)) }
    bufferA = Buffer(capacity: largest * maxBatch)
    bufferB = Buffer(capacity: largest * maxBatch)
    let threads = max(Parallel.threads, ProcessInfo.processInfo.activeProcessorCount)
    for step in steps { step.reserve(maxBatch: maxBatch, threads: threads) }
  }

  deinit {
    guard profiling, !stepSeconds.isEmpty else { return }
    var report = "inference step                 seconds\n"
    for (step, seconds) in zip(steps, stepSeconds) {
      report += "\(type(of: step)) \(step.outputShape)".padding(toLength: 30, withPad: " ", startingAt: 0)
      report += String(format: " %7.3f\n", seconds)
    }
    FileHandle.standardError.write(Data(report.utf8))
  }

  /// The input buffer, channel-major (C, N, H, W) for up to `maxBatch` samples.
  var input: UnsafeMutablePointer<Float> { bufferA.pointer }

  /// Runs `batch` samples already written to `input`; returns the output (N, outputCount).
  func run(batch: Int) -> UnsafeMutablePointer<Float> {
    var source = bufferA.pointer
    var target = bufferB.pointer
    for (index, step) in steps.enumerated() {
      let start = profiling ? DispatchTime.now().uptimeNanoseconds : 0
      step.run(input: source, output: target, batch: batch)
      if profiling {
        if stepSeconds.isEmpty { stepSeconds = [Double](repeating: 0, count: steps.count) }
        stepSeconds[index] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      }
      swap(&source, &target)
    }
    if reluOutput {
      for i in 0..<batch * outputCount { source[i] = max(source[i], 0) }
    }
    return source
  }
}

import Foundation

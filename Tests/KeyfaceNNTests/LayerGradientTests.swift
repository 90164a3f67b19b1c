import XCTest

@testable import KeyfaceNN

final class LayerGradientTests: XCTestCase {
  func testConv2dGradients() {
    for (stride, padding) in [(1, 0), (1, 1), (2, 1), (2, 0)] {
      let conv = Conv2d(inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: stride, padding: padding, name: "conv1")
      GradientCheck.randomize(conv, seed: 7)
      GradientCheck.check(conv, inputShape: [2, 7, 6], batch: 2)
    }
  }

  /// Eight input channels: the forward pass runs by Winograd, the backward by im2col.
  func testConv2dGradientsWithWinogradForward() {
    for padding in [0, 1] {
      let conv = Conv2d(inputChannels: 8, outputChannels: 3, kernelSize: 3, stride: 1, padding: padding, name: "conv1")
      GradientCheck.randomize(conv, seed: 17)
      GradientCheck.check(conv, inputShape: [8, 5, 6], batch: 2)
    }
  }

  func testConv2dGradientsAcrossChunks() {
    let saved = Conv2d.chunkBudget
    defer { Conv2d.chunkBudget = saved }
    Conv2d.chunkBudget = 2 * 18 * 25  // two samples per chunk: batch 3 -> chunks of 2 and 1
    let conv = Conv2d(inputChannels: 2, outputChannels: 2, kernelSize: 3, stride: 1, padding: 1, name: "conv1")
    GradientCheck.randomize(conv, seed: 3)
    GradientCheck.check(conv, inputShape: [2, 5, 5], batch: 3)
  }

  /// Fused ReLU variants: the layer's own output pass applies max(0, .) and backward masks by output > 0.
  func testFusedReLUGradients() {
    let conv = Conv2d(inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 1, padding: 1, name: "conv1")
    GradientCheck.randomize(conv, seed: 21)
    conv.fusedReLU = true
    // An input whose pre-activations all stay clear of the ReLU's kink under a 1e-3 nudge.
    let convInput = (UInt64(1)...).lazy.map { GradientCheck.random(2 * 2 * 4 * 5, seed: $0) }.first { input in
      ReferenceKernels.conv2d(
        input: input, batch: 2, channels: 2, height: 4, width: 5, weight: conv.weight.value.data,
        bias: conv.bias.value.data, outputChannels: 3, kernel: 3, stride: 1, padding: 1
      ).allSatisfy { abs($0) > 0.01 }
    }!
    GradientCheck.check(conv, inputShape: [2, 4, 5], batch: 2, input: convInput, epsilon: 1e-3, tolerance: 2e-2)
    let linear = Linear(inputFeatures: 6, outputFeatures: 5, name: "fc1")
    GradientCheck.randomize(linear, seed: 22)
    linear.fusedReLU = true
    GradientCheck.check(linear, inputShape: [6], batch: 3, epsilon: 1e-3, tolerance: 2e-2)
    let norm = BatchNorm2d(channels: 2, name: "bn1")
    GradientCheck.randomize(norm, seed: 23)
    norm.fusedReLU = true
    let input = GradientCheck.random(3 * 2 * 3 * 3, seed: 24, range: 2)
    GradientCheck.check(norm, inputShape: [2, 3, 3], batch: 3, input: input, epsilon: 1e-3, tolerance: 2e-2)
  }

  /// Soft-argmax: the expected position under each channel's softmax, differentiated through the softmax.
  func testSoftArgmaxGradients() {
    GradientCheck.check(SoftArgmax(), inputShape: [3, 4, 5], batch: 2, input: GradientCheck.random(120, seed: 31, range: 3))
  }

  /// A sharp peak reads as its pixel's centre in -1...1 (x across the width, y down the height).
  func testSoftArgmaxFindsAPeak() {
    let layer = SoftArgmax()
    XCTAssertEqual(layer.prepare(inputShape: [1, 4, 5]), [2])
    var logits = [Float](repeating: 0, count: 20)
    logits[2 * 5 + 3] = 40  // row 2, column 3
    var output = [Float](repeating: 0, count: 2)
    layer.forward(input: logits, output: &output, batch: 1, training: false)
    XCTAssertEqual(output[0], 3.5 / 5 * 2 - 1, accuracy: 1e-5)
    XCTAssertEqual(output[1], 2.5 / 4 * 2 - 1, accuracy: 1e-5)
  }

  func testLinearGradients() {
    let linear = Linear(inputFeatures: 7, outputFeatures: 5, name: "fc1")
    GradientCheck.randomize(linear, seed: 11)
    GradientCheck.check(linear, inputShape: [7], batch: 3)
  }

  func testBatchNormGradientsInTraining() {
    let norm = BatchNorm2d(channels: 3, name: "bn1")
    GradientCheck.randomize(norm, seed: 5)
    // Scaled-up input keeps the batch variance well away from epsilon.
    let input = GradientCheck.random(2 * 3 * 4 * 4, seed: 9, range: 2)
    GradientCheck.check(norm, inputShape: [3, 4, 4], batch: 2, input: input, epsilon: 1e-2, tolerance: 2e-2)
  }

  func testBatchNormInferenceUsesRunningStatistics() {
    let norm = BatchNorm2d(channels: 1, name: "bn1")
    _ = norm.prepare(inputShape: [1, 1, 2])
    norm.runningMean.value.data = [1]
    norm.runningVar.value.data = [4]
    norm.weight.value.data = [2]
    norm.bias.value.data = [0.5]
    let input: [Float] = [3, -1]
    var output: [Float] = [0, 0]
    norm.forward(input: input, output: &output, batch: 1, training: false)
    let s = 2 / (4 + norm.epsilon).squareRoot()
    XCTAssertEqual(output[0], (3 - 1) * s + 0.5, accuracy: 1e-5)
    XCTAssertEqual(output[1], (-1 - 1) * s + 0.5, accuracy: 1e-5)
  }

  func testBatchNormUpdatesRunningStatistics() {
    let norm = BatchNorm2d(channels: 1, name: "bn1")
    _ = norm.prepare(inputShape: [1, 1, 4])
    let input: [Float] = [1, 2, 3, 4]
    var output = [Float](repeating: 0, count: 4)
    norm.forward(input: input, output: &output, batch: 1, training: true)
    XCTAssertEqual(norm.runningMean.value.data[0], 0.1 * 2.5, accuracy: 1e-6)
    XCTAssertEqual(norm.runningVar.value.data[0], 0.9 + 0.1 * (5.0 / 3.0), accuracy: 1e-5)  // unbiased variance 5/3
    XCTAssertEqual(output.reduce(0, +), 0, accuracy: 1e-5)
  }

  func testReLUGradients() {
    // Keep inputs away from the kink at 0 so central differences are exact.
    let input = GradientCheck.random(2 * 12, seed: 4).map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }
    GradientCheck.check(ReLU(), inputShape: [3, 2, 2], batch: 2, input: input)
  }

  func testMaxPoolGradients() {
    // Distinct values at least 0.05 apart: the argmax cannot change under a 0.01 nudge.
    var generator = SplitMix64(seed: 8)
    let count = 2 * 2 * 5 * 4
    let input = (0..<count).map { Float($0) * 0.05 }.shuffled(using: &generator)
    GradientCheck.check(MaxPool2d(size: 2), inputShape: [2, 5, 4], batch: 2, input: input)
  }

  func testMaxPoolInferenceMatchesTraining() {
    let pool = MaxPool2d(size: 2)
    _ = pool.prepare(inputShape: [2, 6, 6])
    let input = GradientCheck.random(3 * 72, seed: 12)
    var a = [Float](repeating: 0, count: 3 * 18)
    var b = a
    pool.forward(input: input, output: &a, batch: 3, training: true)
    pool.forward(input: input, output: &b, batch: 3, training: false)
    XCTAssertEqual(a, b)
  }

  func testDropoutGradientsAndScaling() {
    let dropout = Dropout(probability: 0.3, seed: 1)
    GradientCheck.check(dropout, inputShape: [20], batch: 2, beforeForward: { dropout.reseed(99) })
    // Inference is the identity; training keeps about 70% and scales by 1/0.7.
    _ = dropout.prepare(inputShape: [1000])
    let input = [Float](repeating: 1, count: 1000)
    var output = [Float](repeating: 0, count: 1000)
    dropout.forward(input: input, output: &output, batch: 1, training: false)
    XCTAssertEqual(output, input)
    dropout.forward(input: input, output: &output, batch: 1, training: true)
    let kept = output.filter { $0 != 0 }
    XCTAssertEqual(Double(kept.count), 700, accuracy: 60)
    XCTAssertEqual(kept.first ?? 0, 1 / 0.7, accuracy: 1e-5)
  }

  func testGlobalAvgPoolGradients() {
    GradientCheck.check(GlobalAvgPool(), inputShape: [3, 3, 2], batch: 2)
  }

  func testFlattenGradients() {
    GradientCheck.check(Flatten(), inputShape: [2, 2, 3], batch: 2)
  }
}

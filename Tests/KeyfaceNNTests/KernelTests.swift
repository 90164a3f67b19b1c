import XCTest

@testable import KeyfaceNN

/// The im2col + SGEMM kernels against the plain-loop reference kernels.
final class KernelTests: XCTestCase {
  private func fastConv(
    _ conv: Conv2d, input: [Float], batch: Int, shape: [Int], training: Bool
  ) -> [Float] {
    let out = conv.prepare(inputShape: shape)
    var output = [Float](repeating: .nan, count: batch * out.reduce(1, *))
    conv.forward(input: input, output: &output, batch: batch, training: training)
    return output
  }

  func testConvMatchesReferenceAcrossGeometries() {
    let saved = Conv2d.chunkBudget
    defer { Conv2d.chunkBudget = saved }
    let cases: [(c: Int, oc: Int, h: Int, w: Int, k: Int, s: Int, p: Int, n: Int)] = [
      (1, 4, 9, 9, 3, 1, 0, 1), (3, 5, 8, 7, 3, 1, 1, 3), (2, 4, 9, 10, 3, 2, 1, 4), (2, 3, 7, 7, 5, 2, 2, 2),
      (4, 2, 6, 6, 1, 1, 0, 5), (2, 3, 11, 8, 3, 3, 0, 2),
      (8, 5, 9, 10, 3, 1, 0, 3), (8, 4, 12, 12, 3, 1, 1, 2), (9, 3, 7, 7, 3, 1, 1, 1),  // Winograd forward
    ]
    for budget in [1 << 20, 1] {  // one chunk for the batch, and one sample per chunk
      Conv2d.chunkBudget = budget
      for (i, t) in cases.enumerated() {
        let conv = Conv2d(inputChannels: t.c, outputChannels: t.oc, kernelSize: t.k, stride: t.s, padding: t.p, name: "c")
        GradientCheck.randomize(conv, seed: UInt64(i))
        let input = GradientCheck.random(t.n * t.c * t.h * t.w, seed: UInt64(100 + i))
        let expected = ReferenceKernels.conv2d(
          input: input, batch: t.n, channels: t.c, height: t.h, width: t.w, weight: conv.weight.value.data,
          bias: conv.bias.value.data, outputChannels: t.oc, kernel: t.k, stride: t.s, padding: t.p)
        for training in [true, false] {
          let actual = fastConv(conv, input: input, batch: t.n, shape: [t.c, t.h, t.w], training: training)
          XCTAssertEqual(actual.count, expected.count)
          for j in 0..<expected.count {
            XCTAssertEqual(actual[j], expected[j], accuracy: 1e-4, "case \(i) budget \(budget) element \(j)")
          }
        }
      }
    }
  }

  func testFusedReLUConvMatchesReferenceThenReLU() {
    for channels in [2, 8] {  // im2col and Winograd forward
      let conv = Conv2d(inputChannels: channels, outputChannels: 3, kernelSize: 3, stride: 1, padding: 1, name: "c")
      GradientCheck.randomize(conv, seed: 1)
      conv.fusedReLU = true
      let input = GradientCheck.random(2 * channels * 5 * 5, seed: 2)
      let expected = ReferenceKernels.conv2d(
        input: input, batch: 2, channels: channels, height: 5, width: 5, weight: conv.weight.value.data,
        bias: conv.bias.value.data, outputChannels: 3, kernel: 3, stride: 1, padding: 1
      ).map { max($0, 0) }
      for training in [true, false] {
        let actual = fastConv(conv, input: input, batch: 2, shape: [channels, 5, 5], training: training)
        for j in 0..<expected.count { XCTAssertEqual(actual[j], expected[j], accuracy: 1e-4) }
      }
    }
  }

  func testLinearMatchesReference() {
    for (n, features, out) in [(1, 13, 4), (5, 40, 9)] {
      let linear = Linear(inputFeatures: features, outputFeatures: out, name: "fc")
      GradientCheck.randomize(linear, seed: 3)
      let input = GradientCheck.random(n * features, seed: 4)
      let expected = ReferenceKernels.linear(
        input: input, batch: n, inputFeatures: features, weight: linear.weight.value.data, bias: linear.bias.value.data)
      _ = linear.prepare(inputShape: [features])
      var actual = [Float](repeating: .nan, count: n * out)
      linear.forward(input: input, output: &actual, batch: n, training: true)
      for j in 0..<expected.count { XCTAssertEqual(actual[j], expected[j], accuracy: 1e-4) }
    }
  }

  /// Winograd F(2x2) and F(4x4) steps against the reference convolution, in the plan's (C, N, H, W) layout,
  /// over even, odd and partial-tile-group plane sizes, with and without the deferred input ReLU.
  func testWinogradMatchesReference() {
    let cases: [(c: Int, oc: Int, h: Int, w: Int, n: Int, tile: Int)] = [
      (3, 5, 8, 8, 1, 4), (2, 3, 12, 20, 3, 4), (4, 6, 16, 16, 2, 4), (3, 4, 6, 6, 2, 2), (2, 3, 7, 5, 3, 2),
      (5, 2, 10, 18, 1, 2), (3, 3, 4, 4, 4, 4), (3, 4, 12, 12, 3, 2), (2, 3, 8, 4, 3, 2), (2, 2, 6, 12, 1, 2),
    ]
    for (i, t) in cases.enumerated() {
      let weight = GradientCheck.random(t.oc * t.c * 9, seed: UInt64(10 + i), range: 0.5)
      let bias = GradientCheck.random(t.oc, seed: UInt64(20 + i))
      let input = GradientCheck.random(t.n * t.c * t.h * t.w, seed: UInt64(30 + i), range: 2)  // (N, C, H, W)
      for relu in [false, true] {
        let reluInput = relu ? input.map { max($0, 0) } : input
        let expected = ReferenceKernels.conv2d(
          input: reluInput, batch: t.n, channels: t.c, height: t.h, width: t.w, weight: weight, bias: bias,
          outputChannels: t.oc, kernel: 3, stride: 1, padding: 1)
        let step = WinogradConvStep(inputShape: [t.c, t.h, t.w], outputChannels: t.oc, weight: weight, bias: bias, tile: t.tile)
        step.reluInput = relu
        step.reserve(maxBatch: t.n, threads: 2)
        // (N, C, H, W) -> (C, N, H, W)
        let plane = t.h * t.w
        var channelMajor = [Float](repeating: 0, count: input.count)
        for n in 0..<t.n {
          for c in 0..<t.c {
            for p in 0..<plane { channelMajor[(c * t.n + n) * plane + p] = input[(n * t.c + c) * plane + p] }
          }
        }
        var output = [Float](repeating: .nan, count: t.n * t.oc * plane)
        channelMajor.withUnsafeMutableBufferPointer { x in
          output.withUnsafeMutableBufferPointer { y in step.run(input: x.baseAddress!, output: y.baseAddress!, batch: t.n) }
        }
        for n in 0..<t.n {
          for o in 0..<t.oc {
            for p in 0..<plane {
              XCTAssertEqual(
                output[(o * t.n + n) * plane + p], expected[(n * t.oc + o) * plane + p], accuracy: 1e-4,
                "case \(i) relu \(relu) n \(n) o \(o) p \(p)")
            }
          }
        }
        // With a fused 2x2 max pool: the pooled reference (floor pooling: an odd last row or column is dropped).
        let pooledStep = WinogradConvStep(
          inputShape: [t.c, t.h, t.w], outputChannels: t.oc, weight: weight, bias: bias, tile: t.tile,
          evenOutput: t.h % 2 == 1 || t.w % 2 == 1)
        pooledStep.reluInput = relu
        pooledStep.fusePool()
        pooledStep.reserve(maxBatch: t.n, threads: 2)
        let (ph, pw) = (t.h / 2, t.w / 2)
        var pooled = [Float](repeating: .nan, count: t.n * t.oc * ph * pw)
        channelMajor.withUnsafeMutableBufferPointer { x in
          pooled.withUnsafeMutableBufferPointer { y in pooledStep.run(input: x.baseAddress!, output: y.baseAddress!, batch: t.n) }
        }
        for n in 0..<t.n {
          for o in 0..<t.oc {
            for py in 0..<ph {
              for px in 0..<pw {
                let e = (n * t.oc + o) * plane
                let window = [
                  expected[e + 2 * py * t.w + 2 * px], expected[e + 2 * py * t.w + 2 * px + 1],
                  expected[e + (2 * py + 1) * t.w + 2 * px], expected[e + (2 * py + 1) * t.w + 2 * px + 1],
                ]
                XCTAssertEqual(
                  pooled[((o * t.n + n) * ph + py) * pw + px], window.max()!, accuracy: 1e-4,
                  "pooled case \(i) relu \(relu) n \(n) o \(o) (\(py), \(px))")
              }
            }
          }
        }
      }
    }
  }
}

import Foundation

/// Per-channel soft-argmax (see `SoftArgmax`): (C, N, H, W) logits -> (N, 2C) positions in -1...1.
final class SoftArgmaxStep: InferenceStep {
  let outputShape: [Int]
  var reluInput = false
  private let channels: Int, height: Int, width: Int
  private var scratch: [Float]

  init(inputShape: [Int]) {
    channels = inputShape[0]
    height = inputShape[1]
    width = inputShape[2]
    outputShape = [2 * channels]
    scratch = [Float](repeating: 0, count: height * width)
  }

  func reserve(maxBatch: Int, threads: Int) {}

  func run(input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int) {
    let plane = height * width
    scratch.withUnsafeMutableBufferPointer { p in
      for c in 0..<channels {
        for n in 0..<batch {
          let x = input + (c * batch + n) * plane
          if reluInput { vectorAddBias(x, x, plane, bias: 0, relu: true) }
          let xy = softArgmax(x, into: p.baseAddress!, height: height, width: width)
          output[n * 2 * channels + 2 * c] = xy.x
          output[n * 2 * channels + 2 * c + 1] = xy.y
        }
      }
    }
  }
}

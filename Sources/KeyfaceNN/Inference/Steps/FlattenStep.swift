/// (C, N, H, W) -> (N, C*H*W) in PyTorch's flatten order.
final class FlattenStep: InferenceStep {
  let outputShape: [Int]
  var reluInput = false
  private let channels: Int, plane: Int

  init(inputShape: [Int]) {
    channels = inputShape[0]
    plane = inputShape[1] * inputShape[2]
    outputShape = [channels * plane]
  }

  func reserve(maxBatch: Int, threads: Int) {}

  func run(input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int) {
    for c in 0..<channels {
      for n in 0..<batch {
        let src = input + (c * batch + n) * plane
        let dst = output + (n * channels + c) * plane
        if reluInput {
          vectorAddBias(dst, src, plane, bias: 0, relu: true)
        } else {
          dst.update(from: src, count: plane)
        }
      }
    }
  }
}

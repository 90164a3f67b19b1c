/// Per-channel mean: (C, N, H, W) -> (N, C).
final class GlobalAvgPoolStep: InferenceStep {
  let outputShape: [Int]
  var reluInput = false
  private let plane: Int

  init(inputShape: [Int]) {
    outputShape = [inputShape[0]]
    plane = inputShape[1] * inputShape[2]
  }

  func reserve(maxBatch: Int, threads: Int) {}

  func run(input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int) {
    let channels = outputShape[0]
    let scale = 1 / Float(plane)
    for c in 0..<channels {
      for n in 0..<batch {
        let x = input + (c * batch + n) * plane
        if reluInput { vectorAddBias(x, x, plane, bias: 0, relu: true) }
        output[n * channels + c] = vectorSum(x, plane) * scale
      }
    }
  }
}

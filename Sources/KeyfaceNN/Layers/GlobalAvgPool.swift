/// Mean over each channel's plane.
///
/// Layout: input (N, C, H, W), output (N, C).
final class GlobalAvgPool: Layer {
  private var channels = 0, plane = 0

  init() {}

  func prepare(inputShape: [Int]) -> [Int] {
    channels = inputShape[0]
    plane = inputShape[1] * inputShape[2]
    return [channels]
  }

  // forward: y[n, c] = mean_p x[n, c, p]
  func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
    let scale = 1 / Float(plane)
    for i in 0..<batch * channels {
      output[i] = vectorSum(input + i * plane, plane) * scale
    }
  }

  // backward: dx[n, c, p] = dy[n, c] / (H*W)
  func backward(
    input: UnsafePointer<Float>, output: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
    dInput: UnsafeMutablePointer<Float>?, batch: Int
  ) {
    guard let dInput else { return }
    let scale = 1 / Float(plane)
    for i in 0..<batch * channels {
      (dInput + i * plane).update(repeating: dOutput[i] * scale, count: plane)
    }
  }
}

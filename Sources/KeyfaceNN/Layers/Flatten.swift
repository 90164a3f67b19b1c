/// Reshapes (N, C, H, W) to (N, C*H*W) in channel-major (PyTorch) order; the data is copied unchanged.
final class Flatten: Layer {
  private var size = 0  // C*H*W

  init() {}

  func prepare(inputShape: [Int]) -> [Int] {
    size = inputShape.reduce(1, *)
    return [size]
  }

  func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
    output.update(from: input, count: batch * size)
  }

  func backward(
    input: UnsafePointer<Float>, output: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
    dInput: UnsafeMutablePointer<Float>?, batch: Int
  ) {
    dInput?.update(from: dOutput, count: batch * size)
  }
}

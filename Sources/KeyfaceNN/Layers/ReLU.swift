/// max(0, x), elementwise; any layout.
final class ReLU: Layer {
  private var size = 0  // elements per sample

  init() {}

  func prepare(inputShape: [Int]) -> [Int] {
    size = inputShape.reduce(1, *)
    return inputShape
  }

  // forward: y = max(0, x)
  func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
    let total = batch * size
    parallelRanges(total) { range in
      for i in range { output[i] = max(input[i], 0) }
    }
  }

  // backward: dx = dy where y > 0
  func backward(
    input: UnsafePointer<Float>, output: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
    dInput: UnsafeMutablePointer<Float>?, batch: Int
  ) {
    guard let dInput else { return }
    let total = batch * size
    parallelRanges(total) { range in
      vectorMaskedCopy(dInput + range.lowerBound, dOutput + range.lowerBound, mask: output + range.lowerBound, range.count)
    }
  }
}

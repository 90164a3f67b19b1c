/// A standalone batch norm (not after a convolution): y = x * scale_c + shift_c on (C, N, H, W).
final class AffineStep: InferenceStep {
  let outputShape: [Int]
  var reluInput = false
  private let scale: [Float], shift: [Float]

  init(inputShape: [Int], scale: [Float], shift: [Float]) {
    outputShape = inputShape
    self.scale = scale
    self.shift = shift
  }

  func reserve(maxBatch: Int, threads: Int) {}

  func run(input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int) {
    let block = batch * outputShape[1] * outputShape[2]
    for c in 0..<outputShape[0] {
      let x = input + c * block
      if reluInput { vectorAddBias(x, x, block, bias: 0, relu: true) }
      vectorScaleShift(output + c * block, x, block, scale: scale[c], shift: shift[c], relu: false)
    }
  }
}

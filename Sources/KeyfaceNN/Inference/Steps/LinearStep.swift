/// Fully connected: (N, IN) -> (N, OUT); threads split the output features of large layers.
final class LinearStep: InferenceStep {
  let outputShape: [Int]
  var reluInput = false
  private let inputFeatures: Int
  private let weight: Buffer  // (OUT, IN)
  private let bias: Buffer  // (OUT)

  init(weight: [Float], bias: [Float], inputFeatures: Int) {
    self.inputFeatures = inputFeatures
    outputShape = [bias.count]
    self.weight = Buffer(capacity: weight.count)
    self.bias = Buffer(capacity: bias.count)
    self.weight.pointer.update(from: weight, count: weight.count)
    self.bias.pointer.update(from: bias, count: bias.count)
  }

  func reserve(maxBatch: Int, threads: Int) {}

  func run(input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int) {
    let out = outputShape[0]
    let inFeatures = inputFeatures
    if reluInput { vectorAddBias(input, input, batch * inFeatures, bias: 0, relu: true) }
    let w = UnsafePointer(weight.pointer)
    let b = bias.pointer
    // Split the output features when the work is large, or when the weights alone are (a batch-1 product of a
    // 3200 x 512 layer reads 6.5 MB of weights: memory-bound, so two cores read it nearly twice as fast).
    let parts = batch * inFeatures * out >= 1 << 21 || inFeatures * out >= 1 << 20 ? Parallel.threads : 1
    Parallel.forEachPart(parts, of: out) { _, features in
      let o0 = features.lowerBound
      for n in 0..<batch { (output + n * out + o0).update(from: b + o0, count: features.count) }
      if batch == 1 {
        // One sample: a matrix-vector product reads each weight once and packs nothing.
        BLAS.gemv(
          m: features.count, n: inFeatures, a: w + o0 * inFeatures, lda: inFeatures, x: input, beta: 1,
          y: output + o0)
        return
      }
      BLAS.gemm(
        transA: false, transB: true, m: batch, n: features.count, k: inFeatures, a: input, lda: inFeatures,
        b: w + o0 * inFeatures, ldb: inFeatures, beta: 1, c: output + o0, ldc: out)
    }
  }
}

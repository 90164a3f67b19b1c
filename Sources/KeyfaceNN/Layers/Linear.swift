/// Fully connected layer with bias, one SGEMM over the batch.
///
/// Layout: input (N, IN), weight (OUT, IN) as PyTorch stores it, bias (OUT), output (N, OUT).
final class Linear: Layer {
  let inputFeatures: Int  // IN (51200)
  let outputFeatures: Int  // OUT (512)
  let weight: Parameter  // (OUT, IN)
  let bias: Parameter  // (OUT)
  /// Apply max(0, x) in the bias pass (inference plans fuse Linear + ReLU).
  var fusedReLU = false
  private let maskedGradient = Buffer()  // (N, OUT) dOut masked by the fused ReLU

  /// A linear layer named `name` ("fc1") with zero weights; `Network` initialises them.
  init(inputFeatures: Int, outputFeatures: Int, name: String) {
    self.inputFeatures = inputFeatures
    self.outputFeatures = outputFeatures
    weight = Parameter(name: "\(name).weight", value: Tensor(zeros: [outputFeatures, inputFeatures]))
    bias = Parameter(name: "\(name).bias", value: Tensor(zeros: [outputFeatures]))
  }

  /// A linear layer over existing parameters.
  init(weight: Parameter, bias: Parameter) {
    outputFeatures = weight.value.shape[0]
    inputFeatures = weight.value.shape[1]
    self.weight = weight
    self.bias = bias
  }

  var parameters: [Parameter] { [weight, bias] }

  func prepare(inputShape: [Int]) -> [Int] { [outputFeatures] }

  /// Threads worth using for a product of this size (small layers stay on the caller's thread).
  private func parts(batch: Int) -> Int {
    batch * inputFeatures * outputFeatures >= 1 << 20 ? Parallel.threads : 1
  }

  // forward: output (N, OUT) = input (N, IN) x weight^T (IN, OUT) + bias; threads split the output features
  func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
    let out = outputFeatures
    let inFeatures = inputFeatures
    let relu = fusedReLU
    weight.withValue { w in
      bias.withValue { b in
        Parallel.forEachPart(parts(batch: batch), of: out) { _, features in
          guard !features.isEmpty else { return }
          let o0 = features.lowerBound
          BLAS.gemm(
            transA: false, transB: true, m: batch, n: features.count, k: inFeatures, a: input, lda: inFeatures,
            b: w + o0 * inFeatures, ldb: inFeatures, beta: 0, c: output + o0, ldc: out)
          for n in 0..<batch {
            let row = output + n * out
            if relu {
              for o in features { row[o] = max(row[o] + b[o], 0) }
            } else {
              for o in features { row[o] += b[o] }
            }
          }
        }
      }
    }
  }

  // backward: dWeight (OUT, IN) += dOut^T (OUT, N) x input (N, IN); dBias += sum_n dOut; dInput = dOut x weight
  // With fusedReLU, dOut is first masked by output > 0. Threads split the input features (dWeight's and dInput's columns).
  func backward(
    input: UnsafePointer<Float>, output: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
    dInput: UnsafeMutablePointer<Float>?, batch: Int
  ) {
    let out = outputFeatures
    let inFeatures = inputFeatures
    var dOut = dOutput
    if fusedReLU {
      let masked = maskedGradient.reserve(batch * out)
      vectorMaskedCopy(masked, dOutput, mask: output, batch * out)
      dOut = UnsafePointer(masked)
    }
    let parts = min(parts(batch: batch), inFeatures)
    weight.withValue { w in
      weight.accumulateGrad { dW, overwriteWeight in
        bias.accumulateGrad { dB, overwriteBias in
          Parallel.forEachPart(parts, of: inFeatures) { part, columns in
            if part == 0 {
              for o in 0..<out {
                var s: Float = overwriteBias ? 0 : dB[o]
                for n in 0..<batch { s += dOut[n * out + o] }
                dB[o] = s
              }
            }
            guard !columns.isEmpty else { return }
            let i0 = columns.lowerBound
            BLAS.gemm(
              transA: true, transB: false, m: out, n: columns.count, k: batch, a: dOut, lda: out, b: input + i0,
              ldb: inFeatures, beta: overwriteWeight ? 0 : 1, c: dW + i0, ldc: inFeatures)
            guard let dInput else { return }
            BLAS.gemm(
              transA: false, transB: false, m: batch, n: columns.count, k: out, a: dOut, lda: out,
              b: w + columns.lowerBound, ldb: inFeatures, beta: 0, c: dInput + columns.lowerBound, ldc: inFeatures)
          }
        }
      }
    }
  }
}

import Foundation

/// 2-D convolution with bias, computed as im2col + one SGEMM per chunk of samples.
///
/// Layout: input (N, C, H, W), weight (OC, C, K, K), bias (OC), output (N, OC, OH, OW),
/// with OH = (H + 2*padding - K) / stride + 1.
///
/// Threads split the batch (each unfolds, multiplies and scatters its own samples); a batch smaller than the
/// thread count is split by output rows instead. Backward gives each thread its own weight-gradient partial.
/// The unfolded columns are not kept between forward and backward: backward unfolds each chunk again, which
/// costs less than streaming a whole batch of columns (75 MB for the seed's second convolution) through memory.
final class Conv2d: Layer {
  let inputChannels: Int  // C (1)
  let outputChannels: Int  // OC (32)
  let kernelSize: Int  // K (3)
  let stride: Int  // 1
  let padding: Int  // 0
  let weight: Parameter  // (OC, C, K, K)
  let bias: Parameter  // (OC)
  /// Apply max(0, x) to the output in the same pass as the bias (inference plans fuse Conv + ReLU).
  var fusedReLU = false

  private var geometry = ConvGeometry(
    channels: 0, height: 0, width: 0, kernel: 0, stride: 1, padding: 0, outputHeight: 0, outputWidth: 0)
  private let columns = Buffer()  // one sample's (C*K*K, OH*OW) when threads split output rows
  private var threadColumns: [Buffer] = []  // per thread: one chunk (C*K*K, nb*OH*OW)
  private var threadProducts: [Buffer] = []  // per thread: (OC, nb*OH*OW) GEMM result / gathered dOut
  private var threadDColumns: [Buffer] = []  // per thread: (C*K*K, nb*OH*OW)
  private var threadDWeights: [Buffer] = []  // per thread t >= 1: (OC, C*K*K) partial dWeight
  private let biasPartials = Buffer()  // (threads, OC) partial dBias
  private var winograd: WinogradConvStep?  // forward for 3x3 stride-1 layers (NCHW mode), weights set per call
  private var winogradBatch = 0  // batch size its buffers are reserved for

  /// Run the forward pass of 3x3 stride-1 convolutions with 8+ input channels by Winograd (tests switch it off
  /// to compare); backward always unfolds.
  static var useWinograd = true

  /// A convolution named `name` ("conv1") with zero weights; `Network` initialises them.
  init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, name: String) {
    self.inputChannels = inputChannels
    self.outputChannels = outputChannels
    self.kernelSize = kernelSize
    self.stride = stride
    self.padding = padding
    weight = Parameter(name: "\(name).weight", value: Tensor(zeros: [outputChannels, inputChannels, kernelSize, kernelSize]))
    bias = Parameter(name: "\(name).bias", value: Tensor(zeros: [outputChannels]))
  }

  /// A convolution over existing parameters (shared with another network, or BN-folded copies).
  init(inputChannels: Int, kernelSize: Int, stride: Int, padding: Int, weight: Parameter, bias: Parameter) {
    self.inputChannels = inputChannels
    self.outputChannels = weight.value.shape[0]
    self.kernelSize = kernelSize
    self.stride = stride
    self.padding = padding
    self.weight = weight
    self.bias = bias
  }

  var parameters: [Parameter] { [weight, bias] }

  func prepare(inputShape: [Int]) -> [Int] {
    let h = inputShape[1]
    let w = inputShape[2]
    geometry = ConvGeometry(
      channels: inputChannels, height: h, width: w, kernel: kernelSize, stride: stride, padding: padding,
      outputHeight: (h + 2 * padding - kernelSize) / stride + 1, outputWidth: (w + 2 * padding - kernelSize) / stride + 1)
    return [outputChannels, geometry.outputHeight, geometry.outputWidth]
  }

  /// Floats of unfolded columns per SGEMM chunk (4 MB); tests lower it to exercise chunking.
  static var chunkBudget = 1 << 20

  /// Samples per SGEMM: enough columns to keep the GEMM efficient, few enough that a chunk stays in cache.
  private func chunkSize(batch: Int) -> Int {
    let perSample = geometry.rows * geometry.outputPlane
    return max(1, min(batch, Conv2d.chunkBudget / max(1, perSample)))
  }

  /// Grows the per-thread scratch lists to `threads` entries (before any parallel region).
  private func ensureThreads(_ threads: Int) {
    while threadProducts.count < threads {
      threadColumns.append(Buffer())
      threadProducts.append(Buffer())
      threadDColumns.append(Buffer())
      threadDWeights.append(Buffer())
    }
  }

  // forward: output[n, oc, p] = sum_r weight[oc, r] * columns[r, (n, p)] + bias[oc]   (then max(0, .) if fused)
  func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
    if Conv2d.useWinograd && inputChannels >= 8
      && WinogradConvStep.supports(kernel: kernelSize, stride: stride, padding: padding)
    {
      forwardWinograd(input: input, output: output, batch: batch)
      return
    }
    let g = geometry
    let plane = g.outputPlane
    let rows = g.rows
    let oc = outputChannels
    let threads = Parallel.threads
    let splitRows = batch < threads  // too few samples to share out: split each sample's output rows instead
    let parts = splitRows ? min(threads, g.outputHeight) : min(threads, batch)
    let chunk = splitRows ? 1 : chunkSize(batch: (batch + parts - 1) / parts)
    ensureThreads(parts)
    // All buffers are sized here, on the calling thread.
    let cols = columns.reserve(rows * plane)
    for t in 0..<parts {
      if !splitRows { threadColumns[t].reserve(rows * plane * chunk) }
      if chunk > 1 { threadProducts[t].reserve(oc * plane * chunk) }
    }
    let relu = fusedReLU
    weight.withValue { w in
      bias.withValue { b in
        if splitRows {
          for n in 0..<batch {
            let sampleColumns = cols
            let sampleOutput = output + n * oc * plane
            Parallel.forEachPart(parts, of: g.outputHeight) { _, outputRows in
              Im2col.unfold(
                input + n * inputChannels * g.inputPlane, count: 1, geometry: g, rows: outputRows, into: sampleColumns,
                ldc: plane)
              let p0 = outputRows.lowerBound * g.outputWidth
              let width = outputRows.count * g.outputWidth
              BLAS.gemm(
                transA: false, transB: false, m: oc, n: width, k: rows, a: w, lda: rows, b: sampleColumns + p0,
                ldb: plane, beta: 0, c: sampleOutput + p0, ldc: plane)
              for o in 0..<oc {
                Conv2d.addBias(sampleOutput + o * plane + p0, from: sampleOutput + o * plane + p0, width, b[o], relu)
              }
            }
          }
          return
        }
        Parallel.forEachPart(parts, of: batch) { part, samples in
          var n0 = samples.lowerBound
          while n0 < samples.upperBound {
            let nb = min(chunk, samples.upperBound - n0)
            let chunkColumns = threadColumns[part].pointer
            Im2col.unfold(
              input + n0 * inputChannels * g.inputPlane, count: nb, geometry: g, rows: 0..<g.outputHeight,
              into: chunkColumns, ldc: nb * plane)
            // One sample: the GEMM writes (OC, P) straight into the output.
            let target = nb == 1 ? output + n0 * oc * plane : threadProducts[part].pointer
            BLAS.gemm(
              transA: false, transB: false, m: oc, n: nb * plane, k: rows, a: w, lda: rows, b: chunkColumns,
              ldb: nb * plane, beta: 0, c: target, ldc: nb * plane)
            // Scatter (OC, nb, P) -> (nb, OC, P), adding the bias (and ReLU when fused).
            for o in 0..<oc {
              for j in 0..<nb {
                let src = target + (nb == 1 ? o * plane : (o * nb + j) * plane)
                Conv2d.addBias(output + ((n0 + j) * oc + o) * plane, from: src, plane, b[o], relu)
              }
            }
            n0 += nb
          }
        }
      }
    }
  }

  /// The forward pass by Winograd F(2x2) / F(4x4) (see WinogradConvStep), in NCHW with the current weights.
  private func forwardWinograd(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int) {
    let step: WinogradConvStep
    if let existing = winograd {
      step = existing
    } else {
      step = WinogradConvStep(
        inputShape: [inputChannels, geometry.height, geometry.width], outputChannels: outputChannels,
        weight: weight.value.data, bias: bias.value.data, padding: padding, channelMajor: false)
      winograd = step
    }
    if batch > winogradBatch {
      step.reserve(maxBatch: batch, threads: max(Parallel.threads, ProcessInfo.processInfo.activeProcessorCount))
      winogradBatch = batch
    }
    weight.withValue { w in bias.withValue { b in step.setWeights(w, bias: b) } }
    step.reluOutput = fusedReLU
    step.run(input: UnsafeMutablePointer(mutating: input), output: output, batch: batch)
  }

  /// dst[i] = src[i] + bias (then max(0, .) when `relu`); dst may equal src.
  @inline(__always)
  private static func addBias(
    _ dst: UnsafeMutablePointer<Float>, from src: UnsafePointer<Float>, _ count: Int, _ bias: Float, _ relu: Bool
  ) {
    vectorAddBias(dst, src, count, bias: bias, relu: relu)
  }

  // backward: dWeight += dOut (OC, nb*P) x columns^T; dBias += sum dOut; dColumns = weight^T x dOut -> fold -> dInput
  // With fusedReLU, dOut is first masked by output > 0 (the ReLU's backward).
  func backward(
    input: UnsafePointer<Float>, output: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
    dInput: UnsafeMutablePointer<Float>?, batch: Int
  ) {
    let g = geometry
    let plane = g.outputPlane
    let rows = g.rows
    let oc = outputChannels
    let relu = fusedReLU
    let parts = min(Parallel.threads, batch)
    let chunk = chunkSize(batch: (batch + parts - 1) / parts)
    ensureThreads(parts)
    for t in 0..<parts {
      threadColumns[t].reserve(rows * plane * chunk)
      threadProducts[t].reserve(oc * plane * chunk)
      if dInput != nil { threadDColumns[t].reserve(rows * plane * chunk) }
      if t > 0 { threadDWeights[t].reserve(oc * rows) }
    }
    let biasSums = biasPartials.reserve(parts * oc)
    weight.withValue { w in
      weight.accumulateGrad { dWeight, overwriteWeight in
        bias.accumulateGrad { dBias, overwriteBias in
          Parallel.forEachPart(parts, of: batch) { part, samples in
            // Thread 0 accumulates into the gradient itself; the others into partials summed below.
            let dW = part == 0 ? dWeight : threadDWeights[part].pointer
            var overwrite = part == 0 ? overwriteWeight : true
            let dB = biasSums + part * oc
            dB.update(repeating: 0, count: oc)
            var n0 = samples.lowerBound
            while n0 < samples.upperBound {
              let nb = min(chunk, samples.upperBound - n0)
              let dOut: UnsafePointer<Float>
              if nb == 1 && !relu {
                dOut = dOutput + n0 * oc * plane
              } else {
                // Gather (nb, OC, P) -> (OC, nb, P), applying the fused ReLU's mask.
                let gathered = threadProducts[part].pointer
                for o in 0..<oc {
                  for j in 0..<nb {
                    let dst = gathered + (o * nb + j) * plane
                    let src = dOutput + ((n0 + j) * oc + o) * plane
                    if relu {
                      vectorMaskedCopy(dst, src, mask: output + ((n0 + j) * oc + o) * plane, plane)
                    } else {
                      dst.update(from: src, count: plane)
                    }
                  }
                }
                dOut = UnsafePointer(gathered)
              }
              for o in 0..<oc { dB[o] += vectorSum(dOut + o * nb * plane, nb * plane) }
              let chunkColumns = threadColumns[part].pointer
              Im2col.unfold(
                input + n0 * inputChannels * g.inputPlane, count: nb, geometry: g, rows: 0..<g.outputHeight,
                into: chunkColumns, ldc: nb * plane)
              BLAS.gemm(
                transA: false, transB: true, m: oc, n: rows, k: nb * plane, a: dOut, lda: nb * plane,
                b: chunkColumns, ldb: nb * plane, beta: overwrite ? 0 : 1, c: dW, ldc: rows)
              overwrite = false
              if let dInput {
                let dCols = threadDColumns[part].pointer
                BLAS.gemm(
                  transA: true, transB: false, m: rows, n: nb * plane, k: oc, a: w, lda: rows, b: dOut,
                  ldb: nb * plane, beta: 0, c: dCols, ldc: nb * plane)
                Im2col.fold(dCols, count: nb, geometry: g, into: dInput + n0 * inputChannels * g.inputPlane)
              }
              n0 += nb
            }
          }
          for part in 1..<max(1, parts) {
            let partial = threadDWeights[part].pointer
            for i in 0..<oc * rows { dWeight[i] += partial[i] }
          }
          for o in 0..<oc {
            var s = overwriteBias ? 0 : dBias[o]
            for part in 0..<parts { s += biasSums[part * oc + o] }
            dBias[o] = s
          }
        }
      }
    }
  }
}

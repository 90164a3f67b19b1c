/// Convolution (batch norm folded in): im2col + SGEMM writing straight into the (OC, N, OH, OW) output.
///
/// Threads split the samples; a batch smaller than the thread count is split by output rows instead. Each GEMM
/// covers a chunk of samples, or a band of one sample's output rows, whose unfolded columns fit in L2.
final class ConvStep: InferenceStep {
  let geometry: ConvGeometry
  let outputChannels: Int  // OC (32)
  let outputShape: [Int]
  var reluInput = false
  private let weight: Buffer  // (OC, C*K*K)
  private let bias: Buffer  // (OC)
  private var threadColumns: [Buffer] = []  // per thread: (C*K*K, columns of one chunk or band)
  private var chunk = 1  // samples per GEMM when a whole sample's columns fit the budget
  private var bandRows = 1  // output rows per GEMM when they do not

  /// Floats of unfolded columns per SGEMM (512 KB): the chunk or band stays in L2 while the GEMM packs it.
  static var chunkBudget = 1 << 17

  init(inputShape: [Int], outputChannels: Int, kernel: Int, stride: Int, padding: Int, weight: [Float], bias: [Float]) {
    let h = inputShape[1]
    let w = inputShape[2]
    geometry = ConvGeometry(
      channels: inputShape[0], height: h, width: w, kernel: kernel, stride: stride, padding: padding,
      outputHeight: (h + 2 * padding - kernel) / stride + 1, outputWidth: (w + 2 * padding - kernel) / stride + 1)
    self.outputChannels = outputChannels
    outputShape = [outputChannels, geometry.outputHeight, geometry.outputWidth]
    self.weight = Buffer(capacity: weight.count)
    self.bias = Buffer(capacity: bias.count)
    self.weight.pointer.update(from: weight, count: weight.count)
    self.bias.pointer.update(from: bias, count: bias.count)
  }

  func reserve(maxBatch: Int, threads: Int) {
    let g = geometry
    let perSample = g.rows * g.outputPlane
    let perThread = (maxBatch + threads - 1) / threads
    let budget = ConvStep.chunkBudget
    chunk = max(1, min(perThread, budget / perSample))
    bandRows = max(1, min(g.outputHeight, budget / (g.rows * g.outputWidth)))
    let bands = (g.outputHeight + bandRows - 1) / bandRows
    bandRows = (g.outputHeight + bands - 1) / bands  // equal bands: no small leftover GEMM
    let capacity = max(perSample * (perSample <= budget ? chunk : 0), g.rows * g.outputWidth * bandRows)
    threadColumns = (0..<threads).map { _ in Buffer(capacity: capacity) }
  }

  // output[oc, n, p] = bias[oc] + sum_r weight[oc, r] * columns[r, (n, p)]
  func run(input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int) {
    let threads = min(Parallel.threads, threadColumns.count)
    if batch < threads {
      // Too few samples to share out: threads split each sample's output rows.
      for n in 0..<batch {
        Parallel.forEachPart(threads, of: geometry.outputHeight) { part, rows in
          runPart(part, samples: n..<(n + 1), rows: rows, input: input, output: output, batch: batch)
        }
      }
    } else {
      Parallel.forEachPart(threads, of: batch) { part, samples in
        runPart(part, samples: samples, rows: 0..<geometry.outputHeight, input: input, output: output, batch: batch)
      }
    }
  }

  /// Computes output rows `rows` of `samples` on one thread, in cache-sized chunks of samples or bands of rows.
  private func runPart(
    _ part: Int, samples: Range<Int>, rows outputRows: Range<Int>, input: UnsafeMutablePointer<Float>,
    output: UnsafeMutablePointer<Float>, batch: Int
  ) {
    let g = geometry
    let plane = g.outputPlane
    let ow = g.outputWidth
    let rows = g.rows
    let oc = outputChannels
    let w = UnsafePointer(weight.pointer)
    let b = bias.pointer
    let relu = reluInput
    let cols = threadColumns[part].pointer
    let channelStride = batch * g.inputPlane  // (C, N, H, W)
    let ldo = batch * plane  // output row stride
    if bandRows >= g.outputHeight && outputRows.count == g.outputHeight {
      var n0 = samples.lowerBound
      while n0 < samples.upperBound {
        let nb = min(chunk, samples.upperBound - n0)
        Im2col.unfold(
          input + n0 * g.inputPlane, count: nb, geometry: g, rows: outputRows, into: cols, ldc: nb * plane,
          channelStride: channelStride, sampleStride: g.inputPlane, relu: relu)
        let target = output + n0 * plane
        for o in 0..<oc { (target + o * ldo).update(repeating: b[o], count: nb * plane) }
        BLAS.gemm(
          transA: false, transB: false, m: oc, n: nb * plane, k: rows, a: w, lda: rows, b: cols, ldb: nb * plane,
          beta: 1, c: target, ldc: ldo)
        n0 += nb
      }
      return
    }
    for n in samples {
      var r0 = outputRows.lowerBound
      while r0 < outputRows.upperBound {
        let band = r0..<min(r0 + bandRows, outputRows.upperBound)
        let width = band.count * ow
        // Unfold writes row oy at column oy * OW: shift the base so the band starts at column 0.
        Im2col.unfold(
          input + n * g.inputPlane, count: 1, geometry: g, rows: band, into: cols - r0 * ow, ldc: width,
          channelStride: channelStride, sampleStride: g.inputPlane, relu: relu)
        let target = output + n * plane + r0 * ow
        for o in 0..<oc { (target + o * ldo).update(repeating: b[o], count: width) }
        BLAS.gemm(
          transA: false, transB: false, m: oc, n: width, k: rows, a: w, lda: rows, b: cols, ldb: width, beta: 1,
          c: target, ldc: ldo)
        r0 = band.upperBound
      }
    }
  }
}

/// A convolution (im2col + SGEMM) with the 2x2 max pooling after it done in the same pass, a band of output rows
/// at a time: the band's unfolded columns and products stay in L2 and the full-size output never exists. Used for
/// a network's first layer (one input channel), where Winograd's per-tile products, summing over one channel,
/// leave SGEMM idle, and where a whole batch's unpooled output (1 MB a crop at 32 x 94 x 94) would spill to memory.
/// Measured on the bundled models against the previous first layer (Winograd above two crops, im2col and a
/// separate pooling pass below): about 0.16 against 0.35 ms a crop at batch 32.
///
/// A ReLU after the convolution is left to the next step (it commutes with the maximum); an odd last output row
/// or column is dropped, as floor pooling drops it.
final class ConvPoolStep: InferenceStep {
  let geometry: ConvGeometry
  let outputChannels: Int
  let outputShape: [Int]
  var reluInput = false
  private let weight: Buffer  // (OC, C*K*K)
  private let bias: Buffer  // (OC)
  private let bandRows: Int  // convolution output rows per band (even)
  private var threadColumns: [Buffer] = []  // per thread: (C*K*K, bandRows * OW)
  private var threadProducts: [Buffer] = []  // per thread: (OC, bandRows * OW)

  /// Floats of unfolded columns per band (64 KB).
  static let bandBudget = 1 << 14

  init(inputShape: [Int], outputChannels: Int, kernel: Int, stride: Int, padding: Int, weight: [Float], bias: [Float]) {
    let h = inputShape[1], w = inputShape[2]
    geometry = ConvGeometry(
      channels: inputShape[0], height: h, width: w, kernel: kernel, stride: stride, padding: padding,
      outputHeight: (h + 2 * padding - kernel) / stride + 1, outputWidth: (w + 2 * padding - kernel) / stride + 1)
    self.outputChannels = outputChannels
    outputShape = [outputChannels, geometry.outputHeight / 2, geometry.outputWidth / 2]
    self.weight = Buffer(capacity: weight.count)
    self.bias = Buffer(capacity: bias.count)
    self.weight.pointer.update(from: weight, count: weight.count)
    self.bias.pointer.update(from: bias, count: bias.count)
    let pooledRows = geometry.outputHeight / 2
    let bandPairs = max(1, min(pooledRows, ConvPoolStep.bandBudget / (2 * geometry.rows * geometry.outputWidth)))
    let bands = (pooledRows + bandPairs - 1) / bandPairs
    bandRows = 2 * ((pooledRows + bands - 1) / bands)  // equal bands: no small leftover GEMM
  }

  func reserve(maxBatch: Int, threads: Int) {
    let columns = bandRows * geometry.outputWidth
    threadColumns = (0..<threads).map { _ in Buffer(capacity: geometry.rows * columns) }
    threadProducts = (0..<threads).map { _ in Buffer(capacity: outputChannels * columns) }
  }

  func run(input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int) {
    let threads = min(Parallel.threads, threadColumns.count)
    let pooledRows = outputShape[1]
    let bandPairs = bandRows / 2
    let bands = (pooledRows + bandPairs - 1) / bandPairs
    if batch < threads {
      for n in 0..<batch {
        Parallel.forEachPart(threads, of: bands) { part, range in
          for band in range { runBand(part, sample: n, band: band, input: input, output: output, batch: batch) }
        }
      }
    } else {
      Parallel.forEachPart(threads, of: batch) { part, samples in
        for n in samples {
          for band in 0..<bands { runBand(part, sample: n, band: band, input: input, output: output, batch: batch) }
        }
      }
    }
  }

  /// Pooled rows band * bandRows / 2 ..< (band + 1) * bandRows / 2 of every output channel of sample `n`.
  private func runBand(
    _ part: Int, sample n: Int, band: Int, input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>,
    batch: Int
  ) {
    let g = geometry
    let ow = g.outputWidth
    let (ph, pw) = (outputShape[1], outputShape[2])
    let firstPooled = band * bandRows / 2
    let pooled = min(bandRows / 2, ph - firstPooled)
    let rows = (2 * firstPooled)..<(2 * (firstPooled + pooled))
    let width = rows.count * ow
    let cols = threadColumns[part].pointer
    let products = threadProducts[part].pointer
    // Unfold writes output row oy at column oy * OW: shift the base so the band starts at column 0.
    Im2col.unfold(
      input + n * g.inputPlane, count: 1, geometry: g, rows: rows, into: cols - rows.lowerBound * ow, ldc: width,
      channelStride: batch * g.inputPlane, sampleStride: g.inputPlane, relu: reluInput)
    let b = bias.pointer
    for o in 0..<outputChannels { (products + o * width).update(repeating: b[o], count: width) }
    BLAS.gemm(
      transA: false, transB: false, m: outputChannels, n: width, k: g.rows, a: weight.pointer, lda: g.rows, b: cols,
      ldb: width, beta: 1, c: products, ldc: width)
    for o in 0..<outputChannels {
      let source = products + o * width
      let target = output + (o * batch + n) * ph * pw + firstPooled * pw
      for j in 0..<pooled {
        MaxPoolStep.pool2(source + 2 * j * ow, source + (2 * j + 1) * ow, target + j * pw, pw, floor: -.infinity)
      }
    }
  }
}

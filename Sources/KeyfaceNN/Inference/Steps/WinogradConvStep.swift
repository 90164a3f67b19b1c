// 3x3, stride 1, padding 1 convolution by Winograd's minimal filtering (Lavin & Gray 2016). F(m x m, 3x3) computes
// an m x m output tile from an (m+2) x (m+2) input tile through (m+2)^2 element-wise products in a transformed
// domain, so the convolution becomes (m+2)^2 SGEMMs of (OC x C) x (C x tiles) with no 9x unfolded copy:
// F(2x2) needs 2.25x and F(4x4) 4x fewer multiplications than im2col. Transforms run four tiles at a time in
// SIMD lanes. Inference only: the float32 error stays around 1e-6 (F(2x2)) and 1e-5 (F(4x4)) relative.

/// Winograd convolution on the inference plan's (C, N, H, W) layout.
final class WinogradConvStep: InferenceStep {
  let channels: Int  // C (32)
  let outputChannels: Int  // OC (64)
  let height: Int, width: Int  // output plane (24); the input is (height + 2 - 2 * padding) square-wise, less an
  // odd last row or column with `evenOutput`
  let inputHeight: Int, inputWidth: Int  // 24 with padding 1, 26 with padding 0
  let padding: Int  // 1 ('same') or 0 ('valid')
  /// Planes are channel-major (C, N, H, W) as in the inference plan; false: NCHW as in training.
  let channelMajor: Bool
  /// Apply max(0, y) to the outputs (a training network's fused ReLU).
  var reluOutput = false
  let tile: Int  // m: 2 or 4 output pixels per tile side
  private(set) var outputShape: [Int]
  var reluInput = false
  /// Whether a following 2x2 max pooling is done here: each 2x2 pooling window lies inside one output tile, so
  /// the inverse transform writes window maxima and the full-size output never exists.
  private(set) var fusedPool = false
  let alpha: Int  // m + 2: input tile side
  let tilesHigh: Int, tilesWide: Int  // ceil(H / m), ceil(W / m)
  let paddedTilesWide: Int  // tilesWide rounded up to whole groups of 4 (extra tiles are computed, not stored)
  /// F(2x2) on planes whose tile rows hold an odd number of tile pairs (12 x 12: 6 tiles): a 4-lane group takes
  /// two pairs, possibly from consecutive tile rows, instead of padding every tile row to 8 tiles.
  let paired: Bool
  let paddedWidth: Int  // padded plane row: 1 zero column, W inputs, zeros up to the last group's reads
  let transformedWeight: Buffer  // (alpha^2, OC, C): G g G^T
  let bias: Buffer  // (OC)
  var threadInput: [Buffer] = []  // per thread: (alpha^2, C, T) transformed input tiles
  var threadProduct: [Buffer] = []  // per thread: (alpha^2, OC, T) products
  var threadPlanes: [Buffer] = []  // per thread: one zero-padded input plane, (H + m + 2, paddedWidth)
  var chunk = 1  // samples per unit when a whole sample's tiles fit the budget
  var bandTileRows = 1  // tile rows per unit when they do not

  /// Floats of transformed tiles and products per unit (1 MB), so a unit's GEMMs run from L2.
  static var budget = 1 << 18

  /// Whether a convolution can run this way.
  static func supports(kernel: Int, stride: Int, padding: Int) -> Bool {
    kernel == 3 && stride == 1 && (padding == 1 || padding == 0)
  }

  /// The tile size for an H x W plane: 4 (F(4x4)) for planes like 48 x 48, else 2.
  static func tileSize(height: Int, width: Int) -> Int {
    // F(4x4) pays only when tile rows fill whole 4-tile groups (W a multiple of 16); narrower planes waste lanes
    // on padding tiles and run 36 GEMMs too small to be efficient (measured on the keyface preset).
    height % 4 == 0 && width % 16 == 0 && height >= 8 ? 4 : 2
  }

  /// `evenOutput` drops an odd last output row or column (as a following 2x2 floor pooling would), so that the
  /// pooling can be fused in and the dropped row and column are never computed.
  init(
    inputShape: [Int], outputChannels: Int, weight: [Float], bias: [Float], tile: Int? = nil, padding: Int = 1,
    channelMajor: Bool = true, evenOutput: Bool = false
  ) {
    channels = inputShape[0]
    inputHeight = inputShape[1]
    inputWidth = inputShape[2]
    self.padding = padding
    self.channelMajor = channelMajor
    let fullHeight = inputHeight + 2 * padding - 2, fullWidth = inputWidth + 2 * padding - 2
    height = evenOutput ? fullHeight - fullHeight % 2 : fullHeight
    width = evenOutput ? fullWidth - fullWidth % 2 : fullWidth
    self.outputChannels = outputChannels
    outputShape = [outputChannels, height, width]
    self.tile = tile ?? WinogradConvStep.tileSize(height: height, width: width)
    alpha = self.tile + 2
    tilesHigh = (height + self.tile - 1) / self.tile
    tilesWide = (width + self.tile - 1) / self.tile
    paired = self.tile == 2 && tilesWide % 4 == 2 && height % 2 == 0 && width % 2 == 0
    paddedTilesWide = paired ? tilesWide : 4 * ((tilesWide + 3) / 4)
    paddedWidth = self.tile * 4 * ((tilesWide + 3) / 4) + 24
    transformedWeight = Buffer(capacity: alpha * alpha * outputChannels * channels)
    self.bias = Buffer(capacity: outputChannels)
    weight.withUnsafeBufferPointer { w in
      bias.withUnsafeBufferPointer { b in setWeights(w.baseAddress!, bias: b.baseAddress!) }
    }
  }

  /// Replaces the weights (OC, C, 3, 3) and bias (OC): U = G g G^T for every (output, input) channel pair.
  func setWeights(_ weight: UnsafePointer<Float>, bias: UnsafePointer<Float>) {
    self.bias.pointer.update(from: bias, count: outputChannels)
    let u = transformedWeight.pointer
    let plane = outputChannels * channels
    let alpha = alpha
    let four = tile == 4
    // G rows: F(2x2) [1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]; F(4x4) [1/4, 0, 0],
    // [-1/6, -1/6, -1/6], [-1/6, 1/6, -1/6], [1/24, 1/12, 1/6], [1/24, -1/12, 1/6], [0, 0, 1].
    @inline(__always) func applyG(_ x0: Float, _ x1: Float, _ x2: Float, _ i: Int) -> Float {
      if four {
        switch i {
        case 0: return x0 / 4
        case 1: return -(x0 + x1 + x2) / 6
        case 2: return -(x0 - x1 + x2) / 6
        case 3: return x0 / 24 + x1 / 12 + x2 / 6
        case 4: return x0 / 24 - x1 / 12 + x2 / 6
        default: return x2
        }
      }
      switch i {
      case 0: return x0
      case 1: return (x0 + x1 + x2) / 2
      case 2: return (x0 - x1 + x2) / 2
      default: return x2
      }
    }
    for o in 0..<outputChannels {
      for c in 0..<channels {
        let g = weight + (o * channels + c) * 9
        for i in 0..<alpha {
          // Row i of G g (3 values), then times G^T.
          let r0 = applyG(g[0], g[3], g[6], i), r1 = applyG(g[1], g[4], g[7], i), r2 = applyG(g[2], g[5], g[8], i)
          for j in 0..<alpha { u[(i * alpha + j) * plane + o * channels + c] = applyG(r0, r1, r2, j) }
        }
      }
    }
  }

  /// Takes over a following 2x2 max pooling (H and W must be even).
  func fusePool() {
    require(height % 2 == 0 && width % 2 == 0, "WinogradConvStep.fusePool: odd plane")
    fusedPool = true
    outputShape = [outputChannels, height / 2, width / 2]
  }

  func reserve(maxBatch: Int, threads: Int) {
    let perTile = alpha * alpha * (channels + outputChannels)
    let perSample = tilesHigh * paddedTilesWide  // paired: whole samples in one unit need a multiple of 4 tiles
    // Every unit streams the transformed weights (alpha^2 * OC * C floats, 2 MB for 128 -> 256 channels) through
    // the GEMMs, so units must grow with them or the weight traffic dominates the late, small-plane layers.
    let budget = max(WinogradConvStep.budget, 2 * alpha * alpha * outputChannels * channels)
    let maxTiles = max(1, budget / perTile)
    let perThread = (maxBatch + threads - 1) / threads
    chunk = paired && perSample % 4 != 0 ? 1 : max(1, min(perThread, maxTiles / perSample))
    bandTileRows = max(1, min(tilesHigh, maxTiles / paddedTilesWide))
    let bands = (tilesHigh + bandTileRows - 1) / bandTileRows
    bandTileRows = (tilesHigh + bands - 1) / bands  // equal bands: no small leftover GEMM
    let tiles = max(perSample <= maxTiles ? chunk * perSample : 0, bandTileRows * paddedTilesWide, perSample) + 4
    threadInput = (0..<threads).map { _ in Buffer(capacity: alpha * alpha * channels * tiles) }
    threadProduct = (0..<threads).map { _ in Buffer(capacity: alpha * alpha * outputChannels * tiles) }
    // Zero-filled: the border rows and columns are never written, so they stay 0.
    threadPlanes = (0..<threads).map { _ in Buffer(capacity: (inputHeight + tile + 3) * paddedWidth) }
  }

  func run(input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int) {
    let threads = min(Parallel.threads, threadInput.count)
    if batch < threads {
      for n in 0..<batch {
        Parallel.forEachPart(threads, of: tilesHigh) { part, tileRows in
          runUnits(part, samples: n..<(n + 1), tileRows: tileRows, input: input, output: output, batch: batch)
        }
      }
    } else {
      Parallel.forEachPart(threads, of: batch) { part, samples in
        runUnits(part, samples: samples, tileRows: 0..<tilesHigh, input: input, output: output, batch: batch)
      }
    }
  }

  /// Processes `samples` x `tileRows` on one thread, unit by unit.
  private func runUnits(
    _ part: Int, samples: Range<Int>, tileRows: Range<Int>, input: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>, batch: Int
  ) {
    if bandTileRows >= tilesHigh && tileRows.count == tilesHigh {
      var n0 = samples.lowerBound
      while n0 < samples.upperBound {
        let nb = min(chunk, samples.upperBound - n0)
        runUnit(part, samples: n0..<(n0 + nb), tileRows: tileRows, input: input, output: output, batch: batch)
        n0 += nb
      }
      return
    }
    for n in samples {
      var r0 = tileRows.lowerBound
      while r0 < tileRows.upperBound {
        let r1 = min(r0 + bandTileRows, tileRows.upperBound)
        runUnit(part, samples: n..<(n + 1), tileRows: r0..<r1, input: input, output: output, batch: batch)
        r0 = r1
      }
    }
  }

  // One unit: transform its input tiles, alpha^2 GEMMs, inverse-transform into the output (plus bias).
  private func runUnit(
    _ part: Int, samples: Range<Int>, tileRows: Range<Int>, input: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>, batch: Int
  ) {
    let c = channels, oc = outputChannels, h = inputHeight, w = inputWidth, twp = paddedTilesWide, m = tile
    let p = padding
    let inPlane = h * w
    // T, including each tile row's padding tiles (or, paired, up to 2 padding tiles at the end).
    let tiles = (samples.count * tileRows.count * twp + 3) / 4 * 4
    let v = threadInput[part].pointer  // (alpha^2, C, T)
    let products = threadProduct[part].pointer  // (alpha^2, OC, T)
    let padded = threadPlanes[part].pointer  // the input plane, zero-padded: row y + 1 holds input row y
    let pw = paddedWidth
    let relu = reluInput
    // Input rows the unit's tile rows read (tile row ty reads rows m*ty - p ... m*ty - p + m + 1).
    let firstRow = max(0, m * tileRows.lowerBound - p)
    let lastRow = min(h, m * tileRows.upperBound - p + 2)
    for ci in 0..<c {
      for (j, n) in samples.enumerated() {
        // Copy the rows into the padded plane first (applying the deferred ReLU): the transform's unaligned
        // loads then read settled memory rather than stalling on just-written stores.
        let src = input + (channelMajor ? ci * batch + n : n * c + ci) * inPlane
        for y in firstRow..<lastRow {
          let row = padded + (y + 1) * pw + 1
          if relu {
            vectorAddBias(row, src + y * w, w, bias: 0, relu: true)
          } else {
            row.update(from: src + y * w, count: w)
          }
        }
        if paired {
          // Groups of two tile pairs over the sample's tile rows; a missing second pair repeats the first.
          let pairs = tileRows.count * twp / 2
          let dst = v + ci * tiles + j * tileRows.count * twp
          var pair = 0
          while pair < pairs {
            let t0 = 2 * pair, t1 = 2 * min(pair + 1, pairs - 1)
            let origin = padded + (1 - p) * (pw + 1)  // padded position of the first tile's top-left input
            let base0 = UnsafeRawPointer(origin + 2 * (tileRows.lowerBound + t0 / twp) * pw + 2 * (t0 % twp))
            let base1 = UnsafeRawPointer(origin + 2 * (tileRows.lowerBound + t1 / twp) * pw + 2 * (t1 % twp))
            WinogradConvStep.inputTransform2(base0, base1, rowBytes: 4 * pw, dst + t0, stride: c * tiles)
            pair += 2
          }
          continue
        }
        for ty in tileRows {
          let dst = v + ci * tiles + (j * tileRows.count + ty - tileRows.lowerBound) * twp
          var tx = 0
          while tx < twp {
            // Padded rows m*ty ..< m*ty + alpha, columns m*tx ..< m*(tx+4) + 2: tiles tx ..< tx+4.
            let base = UnsafeRawPointer(padded + (1 - p) * (pw + 1) + m * ty * pw + m * tx)
            if m == 2 {
              WinogradConvStep.inputTransform2(base, rowBytes: 4 * pw, dst + tx, stride: c * tiles)
            } else {
              WinogradConvStep.inputTransform4(base, rowBytes: 4 * pw, dst + tx, stride: c * tiles)
            }
            tx += 4
          }
        }
      }
    }
    let u = UnsafePointer(transformedWeight.pointer)
    for xi in 0..<alpha * alpha {
      BLAS.gemm(
        transA: false, transB: false, m: oc, n: tiles, k: c, a: u + xi * oc * c, lda: c, b: v + xi * c * tiles,
        ldb: tiles, beta: 0, c: products + xi * oc * tiles, ldc: tiles)
    }
    let b = bias.pointer
    let plane = outputShape[1] * outputShape[2]
    for o in 0..<oc {
      let bo = SIMD4<Float>(repeating: b[o])
      for (j, n) in samples.enumerated() {
        let dst = output + (channelMajor ? o * batch + n : n * oc + o) * plane
        if paired {
          let pairs = tileRows.count * twp / 2
          var pair = 0
          while pair < pairs {
            let t0 = 2 * pair
            let q = UnsafeRawPointer(products + o * tiles + j * tileRows.count * twp + t0)
            let second = pair + 1 < pairs ? 2 * (pair + 1) : -1
            pairedOutputTransform2(
              q, stride: 4 * oc * tiles, bias: bo, dst, first: (tileRows.lowerBound + t0 / twp, t0 % twp),
              second: second < 0 ? nil : (tileRows.lowerBound + second / twp, second % twp))
            pair += 2
          }
          continue
        }
        for ty in tileRows {
          let t0 = (j * tileRows.count + ty - tileRows.lowerBound) * twp
          var tx = 0
          while tx < tilesWide {
            let q = UnsafeRawPointer(products + o * tiles + t0 + tx)
            let lanes = min(4, tilesWide - tx)
            if m == 2 {
              outputTransform2(q, stride: 4 * oc * tiles, bias: bo, dst, oy: 2 * ty, ox: 2 * tx, lanes: lanes)
            } else {
              outputTransform4(q, stride: 4 * oc * tiles, bias: bo, dst, oy: 4 * ty, ox: 4 * tx, lanes: lanes)
            }
            // (With fusedPool the transforms write the pooled plane, (H/2, W/2), at half the coordinates.)
            tx += 4
          }
        }
      }
    }
  }
}

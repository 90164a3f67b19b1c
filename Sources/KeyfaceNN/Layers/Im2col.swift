// im2col / col2im for NCHW batches: unfold every (c, ky, kx) tap of a convolution into one row of a matrix whose
// columns are (n, oy, ox), so the convolution of a whole chunk of samples becomes one SGEMM.

enum Im2col {
  /// Unfolds output rows `rows` of `count` samples of `input` (count, C, H, W) into `columns`, whose row r = (c, ky, kx)
  /// starts at `columns + r * ldc` and holds sample j's output position p at column `j * OH * OW + p`.
  ///
  /// A whole chunk uses `rows = 0..<OH` and `ldc = count * OH * OW`; one sample split across threads by output
  /// rows uses `count = 1`, `ldc = OH * OW` and each thread's row range. `channelStride` and `sampleStride` locate
  /// plane (n, c) at `input + c * channelStride + n * sampleStride` (NCHW by default; the inference plan's
  /// channel-major (C, N, H, W) layout passes its own). With `relu`, max(0, x) is applied while copying.
  static func unfold(
    _ input: UnsafePointer<Float>, count: Int, geometry g: ConvGeometry, rows: Range<Int>,
    into columns: UnsafeMutablePointer<Float>, ldc: Int,
    channelStride: Int? = nil, sampleStride: Int? = nil, relu: Bool = false
  ) {
    let plane = g.outputPlane
    let k = g.kernel
    let channelStride = channelStride ?? g.inputPlane
    let sampleStride = sampleStride ?? g.channels * g.inputPlane
    for c in 0..<g.channels {
      for ky in 0..<k {
        for kx in 0..<k {
          let row = (c * k + ky) * k + kx
          for n in 0..<count {
            let src = input + c * channelStride + n * sampleStride
            let dst = columns + row * ldc + n * plane
            unfoldRow(src: src, dst: dst, ky: ky, kx: kx, rows: rows, relu: relu, g)
          }
        }
      }
    }
  }

  @inline(__always)
  private static func unfoldRow(
    src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, ky: Int, kx: Int, rows: Range<Int>, relu: Bool,
    _ g: ConvGeometry
  ) {
    let ow = g.outputWidth
    if g.stride == 1 {
      // Output columns whose input column ox - pad + kx falls inside [0, W).
      let lo = min(ow, max(0, g.padding - kx))
      let hi = max(lo, min(ow, g.width + g.padding - kx))
      for oy in rows {
        let iy = oy - g.padding + ky
        let d = dst + oy * ow
        if iy < 0 || iy >= g.height {
          d.update(repeating: 0, count: ow)
          continue
        }
        let s = src + iy * g.width - g.padding + kx
        if lo > 0 { d.update(repeating: 0, count: lo) }
        if relu {
          vectorAddBias(d + lo, s + lo, hi - lo, bias: 0, relu: true)
        } else {
          (d + lo).update(from: s + lo, count: hi - lo)
        }
        if hi < ow { (d + hi).update(repeating: 0, count: ow - hi) }
      }
    } else {
      let stride = g.stride
      for oy in rows {
        let iy = oy * stride - g.padding + ky
        let d = dst + oy * ow
        if iy < 0 || iy >= g.height {
          d.update(repeating: 0, count: ow)
          continue
        }
        let s = src + iy * g.width
        for ox in 0..<ow {
          let ix = ox * stride - g.padding + kx
          let v = (ix >= 0 && ix < g.width) ? s[ix] : 0
          d[ox] = relu ? max(v, 0) : v
        }
      }
    }
  }

  /// Folds `columns` (C*K*K, count*OH*OW) back onto `output` (count, C, H, W), summing overlaps; overwrites `output`.
  static func fold(
    _ columns: UnsafePointer<Float>, count: Int, geometry g: ConvGeometry, into output: UnsafeMutablePointer<Float>
  ) {
    let plane = g.outputPlane
    let ldc = count * plane
    let k = g.kernel
    output.update(repeating: 0, count: count * g.channels * g.inputPlane)
    for c in 0..<g.channels {
      for ky in 0..<k {
        for kx in 0..<k {
          let row = (c * k + ky) * k + kx
          for n in 0..<count {
            let dst = output + (n * g.channels + c) * g.inputPlane
            let src = columns + row * ldc + n * plane
            foldRow(src: src, dst: dst, ky: ky, kx: kx, g)
          }
        }
      }
    }
  }

  @inline(__always)
  private static func foldRow(
    src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, ky: Int, kx: Int, _ g: ConvGeometry
  ) {
    let ow = g.outputWidth
    if g.stride == 1 {
      let lo = min(ow, max(0, g.padding - kx))
      let hi = max(lo, min(ow, g.width + g.padding - kx))
      for oy in 0..<g.outputHeight {
        let iy = oy - g.padding + ky
        if iy < 0 || iy >= g.height { continue }
        let d = dst + iy * g.width - g.padding + kx
        let s = src + oy * ow
        for ox in lo..<hi { d[ox] += s[ox] }
      }
    } else {
      let stride = g.stride
      for oy in 0..<g.outputHeight {
        let iy = oy * stride - g.padding + ky
        if iy < 0 || iy >= g.height { continue }
        let d = dst + iy * g.width
        let s = src + oy * ow
        for ox in 0..<ow {
          let ix = ox * stride - g.padding + kx
          if ix >= 0 && ix < g.width { d[ix] += s[ox] }
        }
      }
    }
  }
}

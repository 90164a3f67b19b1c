// The Winograd tile transforms of WinogradConvStep: F(2x2, 3x3) and F(4x4, 3x3) input transforms (B^T d B) and
// output transforms (A^T m A, with bias, deferred ReLU and the fused 2x2 pooling), four tiles at a time in SIMD lanes.

extension WinogradConvStep {
  // MARK: - F(2x2, 3x3): B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]

  /// V = B^T d B for four tiles (lanes) whose 4x4 inputs start at `base`, tile k at column 2k.
  @inline(__always)
  static func inputTransform2(
    _ base: UnsafeRawPointer, rowBytes: Int, _ dst: UnsafeMutablePointer<Float>, stride: Int
  ) {
    // d B on each input row: (d0 - d2, d1 + d2, d2 - d1, d1 - d3), each a vector over the four tiles.
    func row(_ r: Int) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
      let a = base.loadUnaligned(fromByteOffset: r * rowBytes, as: SIMD8<Float>.self)  // columns 0..7
      let b = base.loadUnaligned(fromByteOffset: r * rowBytes + 8, as: SIMD8<Float>.self)  // columns 2..9
      let d0 = a.evenHalf, d1 = a.oddHalf, d2 = b.evenHalf, d3 = b.oddHalf
      return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
    }
    let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3)
    store4((r0.0 - r2.0, r0.1 - r2.1, r0.2 - r2.2, r0.3 - r2.3), dst, stride, 0)
    store4((r1.0 + r2.0, r1.1 + r2.1, r1.2 + r2.2, r1.3 + r2.3), dst, stride, 4)
    store4((r2.0 - r1.0, r2.1 - r1.1, r2.2 - r1.2, r2.3 - r1.3), dst, stride, 8)
    store4((r1.0 - r3.0, r1.1 - r3.1, r1.2 - r3.2, r1.3 - r3.3), dst, stride, 12)
  }

  /// V = B^T d B for two tile pairs: lanes 0-1 from the pair whose inputs start at `base0`, lanes 2-3 from `base1`.
  @inline(__always)
  static func inputTransform2(
    _ base0: UnsafeRawPointer, _ base1: UnsafeRawPointer, rowBytes: Int, _ dst: UnsafeMutablePointer<Float>,
    stride: Int
  ) {
    func row(_ r: Int) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
      let o = r * rowBytes
      let a = SIMD8(
        lowHalf: base0.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self),
        highHalf: base1.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self))  // columns 0..3 of each pair
      let b = SIMD8(
        lowHalf: base0.loadUnaligned(fromByteOffset: o + 8, as: SIMD4<Float>.self),
        highHalf: base1.loadUnaligned(fromByteOffset: o + 8, as: SIMD4<Float>.self))  // columns 2..5
      let d0 = a.evenHalf, d1 = a.oddHalf, d2 = b.evenHalf, d3 = b.oddHalf
      return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
    }
    let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3)
    store4((r0.0 - r2.0, r0.1 - r2.1, r0.2 - r2.2, r0.3 - r2.3), dst, stride, 0)
    store4((r1.0 + r2.0, r1.1 + r2.1, r1.2 + r2.2, r1.3 + r2.3), dst, stride, 4)
    store4((r2.0 - r1.0, r2.1 - r1.1, r2.2 - r1.2, r2.3 - r1.3), dst, stride, 8)
    store4((r1.0 - r3.0, r1.1 - r3.1, r1.2 - r3.2, r1.3 - r3.3), dst, stride, 12)
  }

  /// Y = A^T M A + bias for two tile pairs (lanes 0-1 at tile (ty, tx) `first`, lanes 2-3 at `second`, if any).
  @inline(__always)
  func pairedOutputTransform2(
    _ q: UnsafeRawPointer, stride: Int, bias: SIMD4<Float>, _ dst: UnsafeMutablePointer<Float>,
    first: (Int, Int), second: (Int, Int)?
  ) {
    @inline(__always) func load(_ xi: Int) -> SIMD4<Float> { q.loadUnaligned(fromByteOffset: xi * stride, as: SIMD4<Float>.self) }
    let a0 = load(0) + load(1) + load(2), b0 = load(1) - load(2) - load(3)
    let a1 = load(4) + load(5) + load(6), b1 = load(5) - load(6) - load(7)
    let a2 = load(8) + load(9) + load(10), b2 = load(9) - load(10) - load(11)
    let a3 = load(12) + load(13) + load(14), b3 = load(13) - load(14) - load(15)
    let y00 = finish(a0 + a1 + a2 + bias), y01 = finish(b0 + b1 + b2 + bias)
    let y10 = finish(a1 - a2 - a3 + bias), y11 = finish(b1 - b2 - b3 + bias)
    let w = width
    if fusedPool {
      let pooled = WinogradConvStep.max4(y00, y01, y10, y11)
      let pw = w / 2
      dst[first.0 * pw + first.1] = pooled[0]
      dst[first.0 * pw + first.1 + 1] = pooled[1]
      if let second {
        dst[second.0 * pw + second.1] = pooled[2]
        dst[second.0 * pw + second.1 + 1] = pooled[3]
      }
      return
    }
    // Tile pair (ty, tx), (ty, tx + 1) covers output rows 2ty, 2ty + 1 and columns 2tx ..< 2tx + 4.
    let top = SIMD8(y00[0], y01[0], y00[1], y01[1], y00[2], y01[2], y00[3], y01[3])
    let bottom = SIMD8(y10[0], y11[0], y10[1], y11[1], y10[2], y11[2], y10[3], y11[3])
    let p0 = dst + 2 * first.0 * w + 2 * first.1
    UnsafeMutableRawPointer(p0).storeBytes(of: top.lowHalf, as: SIMD4<Float>.self)
    UnsafeMutableRawPointer(p0 + w).storeBytes(of: bottom.lowHalf, as: SIMD4<Float>.self)
    if let second {
      let p1 = dst + 2 * second.0 * w + 2 * second.1
      UnsafeMutableRawPointer(p1).storeBytes(of: top.highHalf, as: SIMD4<Float>.self)
      UnsafeMutableRawPointer(p1 + w).storeBytes(of: bottom.highHalf, as: SIMD4<Float>.self)
    }
  }

  /// Y = A^T M A + bias for four tiles whose 16 products are at `q + xi * stride`; writes `lanes` tiles.
  @inline(__always)
  func outputTransform2(
    _ q: UnsafeRawPointer, stride: Int, bias: SIMD4<Float>, _ dst: UnsafeMutablePointer<Float>, oy: Int, ox: Int,
    lanes: Int
  ) {
    @inline(__always) func load(_ xi: Int) -> SIMD4<Float> { q.loadUnaligned(fromByteOffset: xi * stride, as: SIMD4<Float>.self) }
    // M A on each row i: (m_i0 + m_i1 + m_i2, m_i1 - m_i2 - m_i3); then A^T across rows.
    let a0 = load(0) + load(1) + load(2), b0 = load(1) - load(2) - load(3)
    let a1 = load(4) + load(5) + load(6), b1 = load(5) - load(6) - load(7)
    let a2 = load(8) + load(9) + load(10), b2 = load(9) - load(10) - load(11)
    let a3 = load(12) + load(13) + load(14), b3 = load(13) - load(14) - load(15)
    let y00 = finish(a0 + a1 + a2 + bias), y01 = finish(b0 + b1 + b2 + bias)
    let y10 = finish(a1 - a2 - a3 + bias), y11 = finish(b1 - b2 - b3 + bias)
    if fusedPool {
      // The tile is one pooling window: its maximum goes to pooled (ty, tx) = (oy / 2, ox / 2).
      let pooled = WinogradConvStep.max4(y00, y01, y10, y11)
      let pw = width / 2
      let d = dst + (oy / 2) * pw + ox / 2
      if lanes == 4 {
        UnsafeMutableRawPointer(d).storeBytes(of: pooled, as: SIMD4<Float>.self)
      } else {
        for l in 0..<lanes { d[l] = pooled[l] }
      }
      return
    }
    let w = width
    if lanes == 4 && ox + 8 <= w && oy + 1 < height {
      let top = SIMD8(y00[0], y01[0], y00[1], y01[1], y00[2], y01[2], y00[3], y01[3])
      let bottom = SIMD8(y10[0], y11[0], y10[1], y11[1], y10[2], y11[2], y10[3], y11[3])
      UnsafeMutableRawPointer(dst + oy * w + ox).storeBytes(of: top, as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(dst + (oy + 1) * w + ox).storeBytes(of: bottom, as: SIMD8<Float>.self)
      return
    }
    for l in 0..<lanes {
      let x = ox + 2 * l
      dst[oy * w + x] = y00[l]
      if x + 1 < w { dst[oy * w + x + 1] = y01[l] }
      if oy + 1 < height {
        dst[(oy + 1) * w + x] = y10[l]
        if x + 1 < w { dst[(oy + 1) * w + x + 1] = y11[l] }
      }
    }
  }

  // MARK: - F(4x4, 3x3): B^T rows [4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
  // [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]; A^T rows [1, 1, 1, 1, 1, 0],
  // [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1].

  typealias Six = (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>)

  /// B^T x for a 6-vector x whose entries are vectors over four tiles.
  @inline(__always)
  static func transformB4(_ x: Six) -> Six {
    let four = SIMD4<Float>(repeating: 4), five = SIMD4<Float>(repeating: 5), two = SIMD4<Float>(repeating: 2)
    let t0 = x.4 - four * x.2  // shared by rows 1 and 2
    let t1 = x.3 - four * x.1
    let t2 = x.4 - x.2  // shared by rows 3 and 4
    let t3 = two * (x.3 - x.1)
    return (
      four * x.0 - five * x.2 + x.4, t0 + t1, t0 - t1, t2 + t3, t2 - t3, four * x.1 - five * x.3 + x.5
    )
  }

  /// V = B^T d B for four tiles (lanes) whose 6x6 inputs start at `base`, tile k at column 4k.
  @inline(__always)
  static func inputTransform4(
    _ base: UnsafeRawPointer, rowBytes: Int, _ dst: UnsafeMutablePointer<Float>, stride: Int
  ) {
    // d B on each input row (B^T applied to the row's 6 columns), as vectors over the four tiles.
    func row(_ r: Int) -> Six {
      let a = base.loadUnaligned(fromByteOffset: r * rowBytes, as: SIMD16<Float>.self)  // columns 0..15
      let b = base.loadUnaligned(fromByteOffset: r * rowBytes + 16, as: SIMD16<Float>.self)  // columns 4..19
      let even = a.evenHalf, odd = a.oddHalf
      return transformB4((
        even.evenHalf, odd.evenHalf, even.oddHalf, odd.oddHalf, b.evenHalf.evenHalf, b.oddHalf.evenHalf
      ))
    }
    let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3), r4 = row(4), r5 = row(5)
    // B^T across the rows, one column j of (d B) at a time: V[i][j] goes to xi = 6i + j.
    func column(_ j: Int, _ x: Six) {
      let y = transformB4(x)
      let p = UnsafeMutableRawPointer(dst)
      p.storeBytes(of: y.0, toByteOffset: 4 * (0 * 6 + j) * stride, as: SIMD4<Float>.self)
      p.storeBytes(of: y.1, toByteOffset: 4 * (1 * 6 + j) * stride, as: SIMD4<Float>.self)
      p.storeBytes(of: y.2, toByteOffset: 4 * (2 * 6 + j) * stride, as: SIMD4<Float>.self)
      p.storeBytes(of: y.3, toByteOffset: 4 * (3 * 6 + j) * stride, as: SIMD4<Float>.self)
      p.storeBytes(of: y.4, toByteOffset: 4 * (4 * 6 + j) * stride, as: SIMD4<Float>.self)
      p.storeBytes(of: y.5, toByteOffset: 4 * (5 * 6 + j) * stride, as: SIMD4<Float>.self)
    }
    column(0, (r0.0, r1.0, r2.0, r3.0, r4.0, r5.0))
    column(1, (r0.1, r1.1, r2.1, r3.1, r4.1, r5.1))
    column(2, (r0.2, r1.2, r2.2, r3.2, r4.2, r5.2))
    column(3, (r0.3, r1.3, r2.3, r3.3, r4.3, r5.3))
    column(4, (r0.4, r1.4, r2.4, r3.4, r4.4, r5.4))
    column(5, (r0.5, r1.5, r2.5, r3.5, r4.5, r5.5))
  }

  /// A^T x for a 6-vector x of vectors over four tiles.
  @inline(__always)
  static func transformA4(_ x: Six) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
    let two = SIMD4<Float>(repeating: 2), four = SIMD4<Float>(repeating: 4), eight = SIMD4<Float>(repeating: 8)
    let s12 = x.1 + x.2, d12 = x.1 - x.2, s34 = x.3 + x.4, d34 = x.3 - x.4
    return (x.0 + s12 + s34, d12 + two * d34, s12 + four * s34, d12 + eight * d34 + x.5)
  }

  /// Y = A^T M A + bias for four tiles whose 36 products are at `q + xi * stride`; writes `lanes` tiles.
  @inline(__always)
  func outputTransform4(
    _ q: UnsafeRawPointer, stride: Int, bias: SIMD4<Float>, _ dst: UnsafeMutablePointer<Float>, oy: Int, ox: Int,
    lanes: Int
  ) {
    @inline(__always) func load(_ xi: Int) -> SIMD4<Float> { q.loadUnaligned(fromByteOffset: xi * stride, as: SIMD4<Float>.self) }
    // M A on each row i (A^T applied to the row's 6 products), then A^T down each of the 4 columns.
    func row(_ i: Int) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
      WinogradConvStep.transformA4((load(6 * i), load(6 * i + 1), load(6 * i + 2), load(6 * i + 3), load(6 * i + 4), load(6 * i + 5)))
    }
    let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3), r4 = row(4), r5 = row(5)
    let c0 = WinogradConvStep.transformA4((r0.0, r1.0, r2.0, r3.0, r4.0, r5.0))  // Y[0..3][0]
    let c1 = WinogradConvStep.transformA4((r0.1, r1.1, r2.1, r3.1, r4.1, r5.1))
    let c2 = WinogradConvStep.transformA4((r0.2, r1.2, r2.2, r3.2, r4.2, r5.2))
    let c3 = WinogradConvStep.transformA4((r0.3, r1.3, r2.3, r3.3, r4.3, r5.3))
    if fusedPool {
      // Y[r][k] = c_k.r; pooled (2ty + i, 2tx + j) = max of Y[2i ..< 2i+2][2j ..< 2j+2], per tile lane.
      let p00 = finish(WinogradConvStep.max4(c0.0, c1.0, c0.1, c1.1) + bias)
      let p01 = finish(WinogradConvStep.max4(c2.0, c3.0, c2.1, c3.1) + bias)
      let p10 = finish(WinogradConvStep.max4(c0.2, c1.2, c0.3, c1.3) + bias)
      let p11 = finish(WinogradConvStep.max4(c2.2, c3.2, c2.3, c3.3) + bias)
      let pw = width / 2
      let d = dst + (oy / 2) * pw + ox / 2
      if lanes == 4 {
        let top = SIMD8(p00[0], p01[0], p00[1], p01[1], p00[2], p01[2], p00[3], p01[3])
        let bottom = SIMD8(p10[0], p11[0], p10[1], p11[1], p10[2], p11[2], p10[3], p11[3])
        UnsafeMutableRawPointer(d).storeBytes(of: top, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(d + pw).storeBytes(of: bottom, as: SIMD8<Float>.self)
      } else {
        for l in 0..<lanes {
          d[2 * l] = p00[l]
          d[2 * l + 1] = p01[l]
          d[pw + 2 * l] = p10[l]
          d[pw + 2 * l + 1] = p11[l]
        }
      }
      return
    }
    let w = width
    // Output row oy + r holds, for tile l, Y[r][0..3] = (c0.r, c1.r, c2.r, c3.r) lane l.
    func outputRow(_ y0: SIMD4<Float>, _ y1: SIMD4<Float>, _ y2: SIMD4<Float>, _ y3: SIMD4<Float>, _ r: Int) {
      let y0 = finish(y0 + bias), y1 = finish(y1 + bias), y2 = finish(y2 + bias), y3 = finish(y3 + bias)
      guard oy + r < height else { return }
      let d = dst + (oy + r) * w + ox
      if lanes == 4 && ox + 16 <= w {
        let values = SIMD16(
          y0[0], y1[0], y2[0], y3[0], y0[1], y1[1], y2[1], y3[1], y0[2], y1[2], y2[2], y3[2], y0[3], y1[3], y2[3], y3[3])
        UnsafeMutableRawPointer(d).storeBytes(of: values, as: SIMD16<Float>.self)
        return
      }
      for l in 0..<lanes {
        let x = ox + 4 * l
        if x < w { d[4 * l] = y0[l] }
        if x + 1 < w { d[4 * l + 1] = y1[l] }
        if x + 2 < w { d[4 * l + 2] = y2[l] }
        if x + 3 < w { d[4 * l + 3] = y3[l] }
      }
    }
    outputRow(c0.0, c1.0, c2.0, c3.0, 0)
    outputRow(c0.1, c1.1, c2.1, c3.1, 1)
    outputRow(c0.2, c1.2, c2.2, c3.2, 2)
    outputRow(c0.3, c1.3, c2.3, c3.3, 3)
  }

  /// The output's final touch: max(0, y) when `reluOutput`.
  @inline(__always)
  func finish(_ y: SIMD4<Float>) -> SIMD4<Float> {
    reluOutput ? y.replacing(with: SIMD4<Float>(), where: y .< SIMD4<Float>()) : y
  }

  /// Lane-wise maximum of four vectors.
  @inline(__always)
  static func max4(_ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>) -> SIMD4<Float> {
    let ab = a.replacing(with: b, where: b .> a)
    let cd = c.replacing(with: d, where: d .> c)
    return ab.replacing(with: cd, where: cd .> ab)
  }

  /// Stores transformed values xi = first ..< first + 4 (one per tuple entry) for four consecutive tiles.
  @inline(__always)
  static func store4(
    _ r: (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>), _ dst: UnsafeMutablePointer<Float>,
    _ stride: Int, _ first: Int
  ) {
    UnsafeMutableRawPointer(dst + (first + 0) * stride).storeBytes(of: r.0, as: SIMD4<Float>.self)
    UnsafeMutableRawPointer(dst + (first + 1) * stride).storeBytes(of: r.1, as: SIMD4<Float>.self)
    UnsafeMutableRawPointer(dst + (first + 2) * stride).storeBytes(of: r.2, as: SIMD4<Float>.self)
    UnsafeMutableRawPointer(dst + (first + 3) * stride).storeBytes(of: r.3, as: SIMD4<Float>.self)
  }
}

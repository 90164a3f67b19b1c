// Small loops written with explicit SIMD vectors. Without fast-math LLVM will not reorder `s += x[i]`, so a plain
// reduction runs one dependent add at a time; and it keeps `c ? a : 0` on floats as a branch per element.

/// Sum of `count` floats.
@inline(__always)
func vectorSum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
  var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
  var i = 0
  let raw = UnsafeRawPointer(x)
  while i + 16 <= count {
    a0 += raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
    a1 += raw.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self)
    i += 16
  }
  var s = (a0 + a1).sum()
  while i < count {
    s += x[i]
    i += 1
  }
  return s
}

/// Sum of (x[i] - shift)^2.
@inline(__always)
func vectorSumSquares(_ x: UnsafePointer<Float>, _ count: Int, shift: Float) -> Float {
  var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
  let m = SIMD8<Float>(repeating: shift)
  var i = 0
  let raw = UnsafeRawPointer(x)
  while i + 16 <= count {
    let d0 = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) - m
    let d1 = raw.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self) - m
    a0 += d0 * d0
    a1 += d1 * d1
    i += 16
  }
  var s = (a0 + a1).sum()
  while i < count {
    let d = x[i] - shift
    s += d * d
    i += 1
  }
  return s
}

/// (sum of g, sum of g * (x - shift)) where g = dy, or g = (y > 0 ? dy : 0) when `mask` is given.
@inline(__always)
func vectorGradientSums(
  dy: UnsafePointer<Float>, x: UnsafePointer<Float>, mask: UnsafePointer<Float>?, _ count: Int, shift: Float
) -> (Float, Float) {
  var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
  let m = SIMD8<Float>(repeating: shift)
  let zero = SIMD8<Float>()
  var i = 0
  let rawDy = UnsafeRawPointer(dy)
  let rawX = UnsafeRawPointer(x)
  if let mask {
    let rawY = UnsafeRawPointer(mask)
    while i + 8 <= count {
      let y = rawY.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
      var g = rawDy.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
      g.replace(with: zero, where: y .<= zero)
      s0 += g
      s1 += g * (rawX.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) - m)
      i += 8
    }
  } else {
    while i + 8 <= count {
      let g = rawDy.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
      s0 += g
      s1 += g * (rawX.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) - m)
      i += 8
    }
  }
  var sumG = s0.sum()
  var sumGX = s1.sum()
  while i < count {
    let g = (mask == nil || mask![i] > 0) ? dy[i] : 0
    sumG += g
    sumGX += g * (x[i] - shift)
    i += 1
  }
  return (sumG, sumGX)
}

/// dst[i] = mask[i] > 0 ? src[i] : 0 (a ReLU's backward, from its output).
@inline(__always)
func vectorMaskedCopy(
  _ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, mask: UnsafePointer<Float>, _ count: Int
) {
  let zero = SIMD8<Float>()
  let rawDst = UnsafeMutableRawPointer(dst)
  let rawSrc = UnsafeRawPointer(src)
  let rawMask = UnsafeRawPointer(mask)
  var i = 0
  while i + 8 <= count {
    var v = rawSrc.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
    v.replace(with: zero, where: rawMask.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) .<= zero)
    rawDst.storeBytes(of: v, toByteOffset: 4 * i, as: SIMD8<Float>.self)
    i += 8
  }
  while i < count {
    dst[i] = mask[i] > 0 ? src[i] : 0
    i += 1
  }
}

/// dst[i] = src[i] + bias, then max(0, .) when `relu`; dst may equal src.
@inline(__always)
func vectorAddBias(
  _ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ count: Int, bias: Float, relu: Bool
) {
  let b = SIMD8<Float>(repeating: bias)
  let zero = SIMD8<Float>()
  let rawDst = UnsafeMutableRawPointer(dst)
  let rawSrc = UnsafeRawPointer(src)
  var i = 0
  if relu {
    while i + 8 <= count {
      let v = rawSrc.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) + b
      rawDst.storeBytes(of: v.replacing(with: zero, where: v .< zero), toByteOffset: 4 * i, as: SIMD8<Float>.self)
      i += 8
    }
    while i < count {
      dst[i] = max(src[i] + bias, 0)
      i += 1
    }
  } else {
    while i + 8 <= count {
      let v = rawSrc.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) + b
      rawDst.storeBytes(of: v, toByteOffset: 4 * i, as: SIMD8<Float>.self)
      i += 8
    }
    while i < count {
      dst[i] = src[i] + bias
      i += 1
    }
  }
}

/// dst[i] = src[i] * scale + shift, then max(0, .) when `relu` (batch norm's affine pass).
@inline(__always)
func vectorScaleShift(
  _ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ count: Int, scale: Float, shift: Float, relu: Bool
) {
  let s = SIMD8<Float>(repeating: scale)
  let t = SIMD8<Float>(repeating: shift)
  let zero = SIMD8<Float>()
  let rawDst = UnsafeMutableRawPointer(dst)
  let rawSrc = UnsafeRawPointer(src)
  var i = 0
  while i + 8 <= count {
    var v = rawSrc.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) * s + t
    if relu { v.replace(with: zero, where: v .< zero) }
    rawDst.storeBytes(of: v, toByteOffset: 4 * i, as: SIMD8<Float>.self)
    i += 8
  }
  while i < count {
    let v = src[i] * scale + shift
    dst[i] = relu ? max(v, 0) : v
    i += 1
  }
}

/// dx[i] = a * g[i] + b * (x[i] - mean) + d, with g = dy, or g = (y > 0 ? dy : 0) when `mask` is given
/// (batch norm's input gradient).
@inline(__always)
func vectorBatchNormInputGradient(
  dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
  _ count: Int, a: Float, b: Float, d: Float, mean: Float
) {
  let va = SIMD8<Float>(repeating: a), vb = SIMD8<Float>(repeating: b), vd = SIMD8<Float>(repeating: d)
  let vm = SIMD8<Float>(repeating: mean)
  let zero = SIMD8<Float>()
  let rawDx = UnsafeMutableRawPointer(dx)
  let rawDy = UnsafeRawPointer(dy)
  let rawX = UnsafeRawPointer(x)
  var i = 0
  while i + 8 <= count {
    var g = rawDy.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
    if let mask {
      g.replace(with: zero, where: UnsafeRawPointer(mask).loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) .<= zero)
    }
    let v = va * g + vb * (rawX.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) - vm) + vd
    rawDx.storeBytes(of: v, toByteOffset: 4 * i, as: SIMD8<Float>.self)
    i += 8
  }
  while i < count {
    let g = (mask == nil || mask![i] > 0) ? dy[i] : 0
    dx[i] = a * g + b * (x[i] - mean) + d
    i += 1
  }
}

/// One Adam update of `count` elements in place (see `Adam`): m, v moments, w weights, g gradients.
@inline(__always)
func vectorAdamUpdate(
  w: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
  v: UnsafeMutablePointer<Float>, _ count: Int, beta1: Float, beta2: Float, alpha: Float, epsilon: Float, decay: Float
) {
  let b1 = SIMD8<Float>(repeating: beta1), c1 = SIMD8<Float>(repeating: 1 - beta1)
  let b2 = SIMD8<Float>(repeating: beta2), c2 = SIMD8<Float>(repeating: 1 - beta2)
  let a = SIMD8<Float>(repeating: alpha), e = SIMD8<Float>(repeating: epsilon)
  let keep = SIMD8<Float>(repeating: 1 - decay)
  let rw = UnsafeMutableRawPointer(w), rg = UnsafeRawPointer(g)
  let rm = UnsafeMutableRawPointer(m), rv = UnsafeMutableRawPointer(v)
  var i = 0
  while i + 8 <= count {
    let o = 4 * i
    let gi = rg.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
    let mi = b1 * rm.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) + c1 * gi
    let vi = b2 * rv.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) + c2 * gi * gi
    rm.storeBytes(of: mi, toByteOffset: o, as: SIMD8<Float>.self)
    rv.storeBytes(of: vi, toByteOffset: o, as: SIMD8<Float>.self)
    let wi = rw.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
    rw.storeBytes(of: wi * keep - a * mi / (vi.squareRoot() + e), toByteOffset: o, as: SIMD8<Float>.self)
    i += 8
  }
  while i < count {
    let gi = g[i]
    let mi = beta1 * m[i] + (1 - beta1) * gi
    let vi = beta2 * v[i] + (1 - beta2) * gi * gi
    m[i] = mi
    v[i] = vi
    w[i] = w[i] * (1 - decay) - alpha * mi / (vi.squareRoot() + epsilon)
    i += 1
  }
}

// The geometry of a face crop: an affine map from crop coordinates (0...96 units, origin at the top-left
// corner of the crop's top-left pixel) to frame coordinates (pixels, origin at the top-left corner of the
// frame's top-left pixel). Pixel (i, j) of either picture has its centre at (i + 0.5, j + 0.5).
//
// Face crops are similarities (scale, shift and optionally rotation); `--full-frame` uses an anisotropic
// scaling of the whole frame. Fitting a similarity to keypoints re-frames a face exactly as the training
// crops were framed: least squares in crop units, scale and shift.

import Foundation

/// An affine map from crop coordinates to frame pixels: `x = a*u + b*v + tx`, `y = c*u + d*v + ty`.
public struct CropTransform: Sendable, Equatable {
  /// Frame x per crop u, e.g. 3.2 (a similarity: `scale * cos(angle)`).
  public var a: Float
  /// Frame x per crop v, e.g. 0 (a similarity: `-scale * sin(angle)`).
  public var b: Float
  /// Frame y per crop u, e.g. 0 (a similarity: `scale * sin(angle)`).
  public var c: Float
  /// Frame y per crop v, e.g. 3.2 (a similarity: `scale * cos(angle)`).
  public var d: Float
  /// Frame x of the crop's origin, e.g. 410.5.
  public var tx: Float
  /// Frame y of the crop's origin, e.g. 120.25.
  public var ty: Float

  /// Creates a transform from its six coefficients.
  public init(a: Float, b: Float, c: Float, d: Float, tx: Float, ty: Float) {
    self.a = a
    self.b = b
    self.c = c
    self.d = d
    self.tx = tx
    self.ty = ty
  }

  /// A square crop of `side` frame pixels centred on (`centerX`, `centerY`), turned by `angle` radians
  /// (positive turns the crop's x axis towards the frame's y axis, i.e. clockwise on screen).
  public init(centerX: Float, centerY: Float, side: Float, angle: Float = 0, cropSize: Int = 96) {
    let n = Float(cropSize)
    let s = side / n
    let cosA = s * cosf(angle), sinA = s * sinf(angle)
    a = cosA
    b = -sinA
    c = sinA
    d = cosA
    // The crop centre (n/2, n/2) lands on the requested centre.
    tx = centerX - (a * n / 2 + b * n / 2)
    ty = centerY - (c * n / 2 + d * n / 2)
  }

  /// The whole `width` x `height` frame stretched onto a `cropSize` square (the `--full-frame` mode).
  public init(fullFrameWidth width: Int, height: Int, cropSize: Int = 96) {
    let n = Float(cropSize)
    self.init(a: Float(width) / n, b: 0, c: 0, d: Float(height) / n, tx: 0, ty: 0)
  }

  /// Frame pixels per crop unit (the geometric mean of the two axes' scales).
  public var scale: Float { sqrtf(abs(a * d - b * c)) }

  /// The rotation of the crop's x axis in the frame, in radians.
  public var angle: Float { atan2f(c, a) }

  /// Maps a point from crop coordinates to frame coordinates.
  @inlinable public func frame(from crop: SIMD2<Float>) -> SIMD2<Float> {
    SIMD2(a * crop.x + b * crop.y + tx, c * crop.x + d * crop.y + ty)
  }

  /// Maps a point from frame coordinates to crop coordinates.
  @inlinable public func crop(from frame: SIMD2<Float>) -> SIMD2<Float> {
    let det = a * d - b * c
    let x = frame.x - tx, y = frame.y - ty
    return SIMD2((d * x - b * y) / det, (-c * x + a * y) / det)
  }

  /// The centre of a `cropSize` crop in frame coordinates.
  public func center(cropSize: Int = 96) -> SIMD2<Float> {
    let h = Float(cropSize) / 2
    return frame(from: SIMD2(h, h))
  }

  /// The similarity that puts `points` (frame pixels) as close as possible, in crop units, to `layout`
  /// (crop units): least squares over scale and shift, and rotation when `allowRotation` is set.
  ///
  /// This is how the training crops were framed from their true keypoints, so a crop made with the returned
  /// transform shows the face where training put it. Returns nil when the points are degenerate.
  public static func fit(points: [SIMD2<Float>], onto layout: [SIMD2<Float>], allowRotation: Bool = false)
    -> CropTransform?
  {
    fit(points: points, onto: layout, rollKept: allowRotation ? 0 : .infinity)
  }

  /// Like `fit(points:onto:allowRotation:)`, rotating only the part of the points' roll beyond `rollKept`
  /// radians: a head tilted by θ is turned by sign(θ)·max(0, |θ| − rollKept), so crops of heads tilted no more
  /// than a network saw in training (as in Kaggle's unrotated crops) keep their tilt, and steeper ones are
  /// brought back within it. The scale is the least-squares one for the rotation used. 0 turns every head
  /// upright; infinity never rotates.
  public static func fit(points: [SIMD2<Float>], onto layout: [SIMD2<Float>], rollKept: Float) -> CropTransform? {
    precondition(points.count == layout.count && !points.isEmpty, "fit needs matching point lists")
    let n = Float(points.count)
    var pm = SIMD2<Float>(0, 0), mm = SIMD2<Float>(0, 0)
    for i in 0..<points.count {
      pm += points[i]
      mm += layout[i]
    }
    pm /= n
    mm /= n
    // Frame -> crop: m ≈ k * R(θ) * (p - pm) + mm. With q = p - pm and r = m - mm:
    // k cosθ = Σ q·r / Σ|q|², k sinθ = Σ (q × r) / Σ|q|² (rotation only when allowed).
    var qq: Float = 0, dot: Float = 0, cross: Float = 0
    for i in 0..<points.count {
      let q = points[i] - pm, r = layout[i] - mm
      qq += q.x * q.x + q.y * q.y
      dot += q.x * r.x + q.y * r.y
      cross += q.x * r.y - q.y * r.x
    }
    guard qq > 1e-6 else { return nil }
    var kc = dot / qq, ks: Float = 0
    if rollKept.isFinite {
      // The best similarity has scale k and angle θ; with angle θ' the best scale is k cos(θ − θ').
      let k = (dot * dot + cross * cross).squareRoot() / qq
      let theta = atan2(cross, dot)
      let turned = theta < 0 ? min(0, theta + max(0, rollKept)) : max(0, theta - max(0, rollKept))
      let scale = k * cos(theta - turned)
      kc = scale * cos(turned)
      ks = scale * sin(turned)
    }
    let k2 = kc * kc + ks * ks
    guard k2 > 1e-12, kc.isFinite, ks.isFinite else { return nil }
    // Invert the frame -> crop similarity [kc -ks; ks kc] to crop -> frame: [kc ks; -ks kc] / k².
    let a = kc / k2, b = ks / k2, c = -ks / k2, d = kc / k2
    // p = A (m - mm) + pm  =>  translation = pm - A mm.
    let tx = pm.x - (a * mm.x + b * mm.y)
    let ty = pm.y - (c * mm.x + d * mm.y)
    return CropTransform(a: a, b: b, c: c, d: d, tx: tx, ty: ty)
  }
}

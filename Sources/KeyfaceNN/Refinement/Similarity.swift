// Similarity transforms (scale, rotation, shift) between the Kaggle layout's units and picture pixels, and their
// least-squares fit to point pairs: how the refinement stage frames a face from a first estimate of its keypoints.

/// `p = L u + shift` with `L = [[a, -b], [b, a]]` (scale `sqrt(a² + b²)`, rotation `atan2(b, a)`).
public struct Similarity: Equatable, Sendable {
  /// Scale times the cosine of the rotation.
  public var a: Float
  /// Scale times the sine of the rotation (positive turns the x axis towards y, clockwise on screen).
  public var b: Float
  /// Where `u = 0` lands.
  public var shift: SIMD2<Float>

  public init(a: Float, b: Float, shift: SIMD2<Float>) {
    self.a = a
    self.b = b
    self.shift = shift
  }

  /// Picture units per source unit.
  public var scale: Float { (a * a + b * b).squareRoot() }

  /// Maps a point.
  @inlinable public func apply(_ u: SIMD2<Float>) -> SIMD2<Float> {
    SIMD2(a * u.x - b * u.y + shift.x, b * u.x + a * u.y + shift.y)
  }

  /// Maps a vector (no shift).
  @inlinable public func linear(_ u: SIMD2<Float>) -> SIMD2<Float> {
    SIMD2(a * u.x - b * u.y, b * u.x + a * u.y)
  }

  /// Maps a point back (`apply`'s inverse).
  @inlinable public func invert(_ p: SIMD2<Float>) -> SIMD2<Float> {
    let d = p - shift
    let k = a * a + b * b
    return SIMD2((a * d.x + b * d.y) / k, (-b * d.x + a * d.y) / k)
  }

  /// The similarity taking `source` closest to `target` by least squares; nil when the source points have no
  /// spread or a count differs.
  public static func fit(from source: [SIMD2<Float>], to target: [SIMD2<Float>]) -> Similarity? {
    guard source.count == target.count, !source.isEmpty else { return nil }
    let n = Float(source.count)
    let us = source.reduce(SIMD2<Float>.zero, +) / n
    let ps = target.reduce(SIMD2<Float>.zero, +) / n
    var spread: Float = 0, dot: Float = 0, cross: Float = 0
    for (u, p) in zip(source, target) {
      let du = u - us, dp = p - ps
      spread += (du * du).sum()
      dot += (du * dp).sum()
      cross += du.x * dp.y - du.y * dp.x
    }
    guard spread > 1e-9 else { return nil }
    let a = dot / spread, b = cross / spread
    guard a.isFinite, b.isFinite, a * a + b * b > 1e-12 else { return nil }
    let partial = Similarity(a: a, b: b, shift: .zero)
    return Similarity(a: a, b: b, shift: ps - partial.apply(us))
  }
}

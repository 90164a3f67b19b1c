/// A small, fast, seedable random generator (SplitMix64): weight initialisation and dropout masks must be
/// reproducible for a given seed on every platform, which `SystemRandomNumberGenerator` is not.
public struct SplitMix64: RandomNumberGenerator {
  private var state: UInt64

  /// A generator whose whole sequence is fixed by `seed`.
  public init(seed: UInt64) { state = seed }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform float in `[0, 1)` with 24 random bits.
  @inline(__always)
  public mutating func nextUnit() -> Float {
    Float(next() >> 40) * (1.0 / 16_777_216.0)
  }

  /// A uniform float in `[-limit, limit)`.
  @inline(__always)
  mutating func nextSymmetric(_ limit: Float) -> Float {
    (nextUnit() * 2 - 1) * limit
  }
}

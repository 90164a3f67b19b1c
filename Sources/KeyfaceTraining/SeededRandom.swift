/// A small, fast, seedable random number generator (SplitMix64), so training runs repeat exactly.
///
/// Every random choice in training (shuffling, augmentation) draws from one of these, seeded from `--seed`
/// mixed with the epoch and sample index, so results do not depend on thread timing.
public struct SeededRandom: RandomNumberGenerator {
  private var state: UInt64

  /// Creates a generator; equal seeds give equal sequences.
  public init(seed: UInt64) { state = seed }

  /// Creates a generator from several values mixed together (e.g. seed, epoch, sample index).
  public init(mixing values: UInt64...) {
    var s: UInt64 = 0x9E37_79B9_7F4A_7C15
    for v in values { s = SeededRandom.mix(s ^ v &+ 0x9E37_79B9_7F4A_7C15) }
    state = s
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    return SeededRandom.mix(state)
  }

  /// A uniform float in `lo...hi`.
  public mutating func uniform(_ lo: Float, _ hi: Float) -> Float {
    let unit = Float(next() >> 40) / Float(1 << 24)  // [0, 1) with 24 bits
    return lo + (hi - lo) * unit
  }

  private static func mix(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// How strongly training perturbs each face; every range is symmetric around "no change".
///
/// On crops framed from the true keypoints (kaggle15), heavy geometric jitter costs accuracy while flips and
/// light photometric changes help; a little geometric jitter makes the model robust to detector crops.
public struct AugmentationOptions: Equatable {
  /// Probability of a horizontal flip with left/right keypoints swapped (0.5).
  public var flipProbability: Float
  /// Largest rotation in degrees (8); drawn uniformly from -max...max.
  public var maxRotationDegrees: Float
  /// Largest relative scale change (0.05 = 95%...105%).
  public var maxScale: Float
  /// Largest shift in pixels along each axis (2).
  public var maxShift: Float
  /// Probability that a face gets rotation, scale and shift at all (0.5); the rest keep their framing.
  public var geometricProbability: Float
  /// Largest brightness change as a fraction of full scale (0.1 = +-25 grey levels).
  public var maxBrightness: Float
  /// Largest relative contrast change (0.2 = 80%...120%).
  public var maxContrast: Float

  /// Creates options; every value is clamped to a sane range by `validated()`.
  public init(
    flipProbability: Float = 0.5, maxRotationDegrees: Float = 8, maxScale: Float = 0.05, maxShift: Float = 2,
    geometricProbability: Float = 0.5, maxBrightness: Float = 0.1, maxContrast: Float = 0.2
  ) {
    self.flipProbability = flipProbability
    self.maxRotationDegrees = maxRotationDegrees
    self.maxScale = maxScale
    self.maxShift = maxShift
    self.geometricProbability = geometricProbability
    self.maxBrightness = maxBrightness
    self.maxContrast = maxContrast
  }

  /// The defaults used by `keyface train`.
  public static let standard = AugmentationOptions()

  /// No augmentation at all: every face is used as stored.
  public static let none = AugmentationOptions(
    flipProbability: 0, maxRotationDegrees: 0, maxScale: 0, maxShift: 0, geometricProbability: 0, maxBrightness: 0,
    maxContrast: 0)

  /// A description of the first out-of-range value, or nil when all are usable.
  public var problem: String? {
    if !(0...1).contains(flipProbability) { return "flip probability must be in 0...1" }
    if !(0...1).contains(geometricProbability) { return "geometric probability must be in 0...1" }
    if !(0...45).contains(maxRotationDegrees) { return "rotation must be in 0...45 degrees" }
    if !(0...0.5).contains(maxScale) { return "scale jitter must be in 0...0.5" }
    if !(0...24).contains(maxShift) { return "shift must be in 0...24 px" }
    if !(0...1).contains(maxBrightness) { return "brightness must be in 0...1" }
    if !(0...0.9).contains(maxContrast) { return "contrast must be in 0...0.9" }
    return nil
  }
}

import Foundation

/// Where a tracked face will be in the next frame, from how its keypoints moved over the last frames: the
/// centre's velocity and the rate of change of its size, each smoothed over frames. The next crop is framed
/// from the predicted keypoints, so a face panning or zooming across the picture is framed as if it stood still
/// (16 moving clips of held-out people, `scripts/eval-motion`: median NME 0.059 -> 0.056, jitter 0.0078 -> 0.0073).
struct MotionPrediction {
  /// Weight of the newest measurement in the smoothed velocity (1: the last step alone).
  static let smoothing: Float = 0.5
  /// Extrapolation is capped at this many seconds (a long gap in a variable-frame-rate clip) and at this many
  /// face sizes of travel.
  static let longestStep: Float = 0.25
  static let farthestTravel: Float = 0.5

  /// When the latest keypoints were seen, in seconds.
  private(set) var time: Double
  /// Centre velocity in pixels per second.
  private(set) var velocity = SIMD2<Float>.zero
  /// Rate of change of the log of the face's size, per second.
  private(set) var growth: Float = 0
  private var measured = false

  /// Starts from keypoints seen at `time`, at rest.
  init(time: Double) {
    self.time = time
  }

  /// `points` moved to where the face should be at `time`.
  func predict(_ points: [SIMD2<Float>], at time: Double) -> [SIMD2<Float>] {
    guard measured, !points.isEmpty else { return points }
    let dt = Float(min(Double(Self.longestStep), max(0, time - self.time)))
    let (center, size) = Self.centerAndSize(of: points)
    var shift = velocity * dt
    let travel = (shift * shift).sum().squareRoot(), limit = Self.farthestTravel * size
    if travel > limit { shift *= limit / travel }
    let scale = exp(max(-0.2, min(0.2, growth * dt)))
    return points.map { center + shift + ($0 - center) * scale }
  }

  /// Takes in the keypoints found at `time` (`previous` were those of the last update).
  mutating func update(from previous: [SIMD2<Float>], to points: [SIMD2<Float>], at time: Double) {
    defer { self.time = time }
    let dt = Float(time - self.time)
    guard dt > 0, previous.count == points.count, !points.isEmpty else { return }
    let (c0, s0) = Self.centerAndSize(of: previous), (c1, s1) = Self.centerAndSize(of: points)
    guard s0 > 0, s1 > 0 else { return }
    let v = (c1 - c0) / dt, g = log(s1 / s0) / dt
    let a = measured ? Self.smoothing : 1
    velocity = v * a + velocity * (1 - a)
    growth = g * a + growth * (1 - a)
    measured = velocity.x.isFinite && velocity.y.isFinite && growth.isFinite
    if !measured { velocity = .zero; growth = 0 }
  }

  /// The keypoints' mean and root-mean-square distance from it.
  static func centerAndSize(of points: [SIMD2<Float>]) -> (SIMD2<Float>, Float) {
    let center = points.reduce(SIMD2<Float>.zero, +) / Float(points.count)
    let spread = points.reduce(Float(0)) { $0 + (($1 - center) * ($1 - center)).sum() } / Float(points.count)
    return (center, spread.squareRoot())
  }
}

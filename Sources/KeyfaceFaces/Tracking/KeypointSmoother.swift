// Smooths one face's keypoints over time with One Euro filters, in two parts:
//   - the pose: the similarity (centre, log scale, angle) that best maps the points onto the mean layout,
//     filtered lightly so that head motion is followed with little lag;
//   - the shape: the points in that face-aligned frame (crop units), one filter per coordinate, filtered
//     strongly, since expression changes are slower than head motion and the frame moves with the face.
// Filtering pixel coordinates directly would have to trade lag on every head movement against jitter; on the
// motion clips (simulated per-frame noise) the split halves the error and the jitter of that trade.

import Foundation

/// One Euro filters for the keypoints of one tracked face, applied to its pose and its shape separately.
public struct KeypointSmoother: Sendable {
  /// Filter parameters for the shape coordinates (crop units).
  public var shapeParameters: OneEuroFilter
  /// Filter parameters for the pose: centre (speed in face sizes per second), log scale and angle.
  public var poseParameters: OneEuroFilter
  private let layout: [SIMD2<Float>]
  private let layoutMean: SIMD2<Float>
  private var shape: [OneEuroFilter]
  // Centre x, centre y, log scale, angle.
  private var pose: [OneEuroFilter]
  private var lastAngle: Double?

  /// Creates a smoother for points that correspond to `layout` (the mean keypoint positions, crop units).
  public init(layout: [SIMD2<Float>], shape: OneEuroFilter, pose: OneEuroFilter) {
    precondition(layout.count >= 2, "KeypointSmoother needs at least two layout points")
    self.layout = layout
    layoutMean = layout.reduce(SIMD2<Float>(0, 0), +) / Float(layout.count)
    shapeParameters = shape
    poseParameters = pose
    self.shape = [OneEuroFilter](repeating: shape, count: 2 * layout.count)
    self.pose = [OneEuroFilter](repeating: pose, count: 4)
  }

  /// Forgets the history: the next points pass unchanged.
  public mutating func reset() {
    for i in shape.indices { shape[i].reset() }
    for i in pose.indices { pose[i].reset() }
    lastAngle = nil
  }

  /// Returns `points` (frame pixels at `time` seconds) smoothed; `faceSize` is the face's size in pixels.
  public mutating func smooth(_ points: [SIMD2<Float>], at time: Double, faceSize: Float) -> [SIMD2<Float>] {
    precondition(points.count == layout.count, "KeypointSmoother: wrong number of points")
    guard let fit = CropTransform.fit(points: points, onto: layout, allowRotation: true), fit.scale > 0 else {
      reset()
      return points
    }
    // Shape: the points in the face-aligned frame.
    var shaped = points
    for i in points.indices {
      let q = fit.crop(from: points[i])
      let x = shape[2 * i].filter(Double(q.x), at: time)
      let y = shape[2 * i + 1].filter(Double(q.y), at: time)
      shaped[i] = SIMD2(Float(x), Float(y))
    }
    // Pose: where the layout's centre lands, how large and how turned the face is.
    let center = fit.frame(from: layoutMean)
    var angle = Double(fit.angle)
    if let lastAngle {
      // Keep the angle continuous across ±π.
      while angle - lastAngle > Double.pi { angle -= 2 * Double.pi }
      while angle - lastAngle < -Double.pi { angle += 2 * Double.pi }
    }
    let size = Double(max(faceSize, 1))
    let cx = pose[0].filter(Double(center.x), at: time, speedScale: size)
    let cy = pose[1].filter(Double(center.y), at: time, speedScale: size)
    let logScale = pose[2].filter(log(Double(fit.scale)), at: time)
    let a = pose[3].filter(angle, at: time)
    lastAngle = a
    let s = Float(exp(logScale))
    let cosA = s * Float(cos(a)), sinA = s * Float(sin(a))
    let smoothed = CropTransform(
      a: cosA, b: -sinA, c: sinA, d: cosA,
      tx: Float(cx) - (cosA * layoutMean.x - sinA * layoutMean.y),
      ty: Float(cy) - (sinA * layoutMean.x + cosA * layoutMean.y))
    return shaped.map { smoothed.frame(from: $0) }
  }
}

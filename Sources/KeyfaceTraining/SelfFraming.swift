// Crops framed from their own keypoints, as kaggle15's are (the least-squares scale and shift that takes the 15
// true keypoints closest to a fixed layout), fix three numbers of those keypoints: their centroid is the layout's
// (2), and their residual from the layout is orthogonal to their own spread about the centroid (1: the normal
// equation of the scale). Moving a prediction to the nearest keypoints that satisfy both removes the part of its
// error that no such crop can have.
import KeyfaceNN

/// The keypoints a self-framed crop can hold, and the nearest of them to a prediction.
public struct SelfFraming {
  /// Where the framing put the keypoints, e.g. Kaggle's mean layout (`KaggleLayout.meanPoints`).
  public let layout: [SIMD2<Float>]
  private let centroid: SIMD2<Float>
  /// Half the layout's spread about its centroid: centred keypoints d satisfy |d - half|^2 = |half|^2.
  private let half: [SIMD2<Float>]
  private let radius: Float

  /// Framing onto `layout` (the 15 keypoints' places in the crop, Kaggle's order).
  public init(layout: [SIMD2<Float>]) {
    precondition(layout.count == Keypoints.count, "SelfFraming: one layout point per keypoint")
    self.layout = layout
    let centroid = layout.reduce(.zero, +) / Float(layout.count)
    let half = layout.map { ($0 - centroid) / 2 }
    self.centroid = centroid
    self.half = half
    radius = half.map { ($0 * $0).sum() }.reduce(0, +).squareRoot()
  }

  /// The keypoints nearest to `points` (least squares over all 30 coordinates) whose own framing onto `layout` is
  /// the identity: centred on the layout's centroid, their spread on the sphere the scale's normal equation
  /// defines. Points that give no direction (exactly at the sphere's centre) come back centred only.
  public func project(_ points: [SIMD2<Float>]) -> [SIMD2<Float>] {
    precondition(points.count == layout.count, "SelfFraming: one point per keypoint")
    let mean = points.reduce(.zero, +) / Float(points.count)
    let offset = zip(points, half).map { $0 - mean - $1 }  // centred point minus the sphere's centre
    let length = offset.map { ($0 * $0).sum() }.reduce(0, +).squareRoot()
    guard length > 0, length.isFinite else { return points.map { $0 - mean + centroid } }
    return zip(offset, half).map { centroid + $1 + $0 * (radius / length) }
  }

  /// `project` applied to each face of `coordinates` (30 per face, x and y interleaved, as predictors return them).
  public func project(coordinates: [Float]) -> [Float] {
    let k = Keypoints.count
    precondition(coordinates.count % (2 * k) == 0, "SelfFraming: 30 coordinates per face")
    var out = coordinates
    for face in 0..<(coordinates.count / (2 * k)) {
      let base = face * 2 * k
      let points = (0..<k).map { SIMD2(coordinates[base + 2 * $0], coordinates[base + 2 * $0 + 1]) }
      for (j, p) in project(points).enumerated() {
        out[base + 2 * j] = p.x
        out[base + 2 * j + 1] = p.y
      }
    }
    return out
  }

  /// Root-mean-square distance in pixels of each face's keypoint centroid from the layout's: about 0.3 px for a
  /// good model's predictions on self-framed crops, several pixels on crops framed otherwise (Kaggle's own).
  public func centroidSpread(coordinates: [Float]) -> Float {
    let k = Keypoints.count
    let faces = coordinates.count / (2 * k)
    guard faces > 0 else { return .nan }
    var sum: Float = 0
    for face in 0..<faces {
      var mean = SIMD2<Float>.zero
      for j in 0..<k { mean += SIMD2(coordinates[face * 2 * k + 2 * j], coordinates[face * 2 * k + 2 * j + 1]) }
      let d = mean / Float(k) - centroid
      sum += (d * d).sum()
    }
    return (sum / Float(faces)).squareRoot()
  }

  /// Largest `centroidSpread` of predictions at which `--framing auto` takes crops as self-framed (1 px).
  public static let autoThreshold: Float = 1
}

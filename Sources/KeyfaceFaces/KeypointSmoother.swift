// Smooths one face's keypoints over time: a One Euro filter per coordinate, with the speed measured in face
// sizes per second so that the same parameters suit small and large faces.

/// One Euro filters for the 2 x N coordinates of one tracked face.
public struct KeypointSmoother: Sendable {
  /// The parameters shared by every coordinate's filter.
  public var parameters: OneEuroFilter
  private var filters: [OneEuroFilter]

  /// Creates a smoother for `count` points whose filters copy `parameters`.
  public init(count: Int, parameters: OneEuroFilter) {
    self.parameters = parameters
    filters = [OneEuroFilter](repeating: parameters, count: 2 * count)
  }

  /// Forgets the history: the next points pass unchanged.
  public mutating func reset() {
    for i in filters.indices { filters[i].reset() }
  }

  /// Returns `points` (frame pixels at `time` seconds) smoothed; `faceSize` is the face's size in pixels.
  public mutating func smooth(_ points: [SIMD2<Float>], at time: Double, faceSize: Float) -> [SIMD2<Float>] {
    precondition(points.count * 2 == filters.count, "KeypointSmoother: wrong number of points")
    let scale = Double(max(faceSize, 1))
    var out = points
    for i in points.indices {
      let x = filters[2 * i].filter(Double(points[i].x), at: time, speedScale: scale)
      let y = filters[2 * i + 1].filter(Double(points[i].y), at: time, speedScale: scale)
      out[i] = SIMD2(Float(x), Float(y))
    }
    return out
  }
}

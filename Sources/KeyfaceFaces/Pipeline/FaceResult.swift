import KeyfaceDetection

/// One face in one frame: who it is, how sure the network is, where it is and its 15 keypoints.
public struct FaceResult: Sendable, Equatable {
  /// Identifier, stable while the face is tracked; counted from 0 per source.
  public var id: Int
  /// The network's score that this is a face, 0...1, e.g. 0.97.
  public var score: Float
  /// The face box in frame pixels (its `confidence` is not used).
  public var box: FaceBox
  /// The 15 keypoints in frame pixels, in `Keypoints.names` order.
  public var keypoints: [SIMD2<Float>]

  /// Creates a face result.
  public init(id: Int, score: Float, box: FaceBox, keypoints: [SIMD2<Float>]) {
    self.id = id
    self.score = score
    self.box = box
    self.keypoints = keypoints
  }
}

/// One face followed from frame to frame.
struct Track {
  /// Stable identifier, counted from 0 per source.
  let id: Int
  /// The network's latest keypoints in frame pixels, before smoothing; the next crop is framed from them.
  var points: [SIMD2<Float>]
  /// The network's latest face score, 0...1.
  var score: Float
  /// The crop that the latest keypoints were predicted on.
  var transform: CropTransform
  /// Filters for the reported keypoints.
  var smoother: KeypointSmoother
  /// How the face moves, to frame the next crop where the face will be.
  var motion: MotionPrediction
}

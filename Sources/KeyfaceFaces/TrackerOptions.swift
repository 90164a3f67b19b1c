/// How faces are found, followed and smoothed from frame to frame.
public struct TrackerOptions: Sendable {
  /// Keep at most this many faces per frame, the largest ones, e.g. 1; nil keeps all.
  public var maxFaces: Int?
  /// Run the detector every this many frames while faces are tracked, e.g. 30 (about one second).
  public var detectEvery: Int
  /// Smooth keypoints over time with the One Euro filter.
  public var smoothing: Bool
  /// Skip detection: the whole frame stretched to the crop is the one face.
  public var fullFrame: Bool
  /// A tracked face whose network score falls below this is dropped, e.g. 0.5.
  public var minTrackScore: Float
  /// A new detection whose network score is below this is rejected, e.g. 0.5.
  public var minDetectionScore: Float
  /// Network passes on a newly detected face: the first on the detector's box, the others re-framed from
  /// the previous pass's keypoints, e.g. 2.
  public var detectionPasses: Int
  /// Network passes on a tracked face, each re-framed from the previous keypoints, e.g. 1.
  public var trackingPasses: Int
  /// Re-frame crops with in-plane rotation, so tilted heads are cropped upright.
  public var rotateCrops: Bool
  /// A detection overlapping a tracked face by more than this intersection over union is the same face.
  public var overlapThreshold: Float
  /// The One Euro filter's parameters; speeds are in face sizes per second.
  public var filter: OneEuroFilter
  /// While faces are tracked, run the periodic detection on another thread and use its boxes
  /// `detectEvery / 2` frames later (always at the same frame, so output does not depend on timing).
  /// Detection without tracked faces (first frame, after a loss) stays immediate.
  public var backgroundDetection: Bool

  /// Options with the defaults of `keyface run`.
  public init(
    maxFaces: Int? = nil, detectEvery: Int = 30, smoothing: Bool = true, fullFrame: Bool = false,
    minTrackScore: Float = 0.5, minDetectionScore: Float = 0.5, detectionPasses: Int = 2,
    trackingPasses: Int = 1, rotateCrops: Bool = false, overlapThreshold: Float = 0.3,
    filter: OneEuroFilter = TrackerOptions.defaultFilter, backgroundDetection: Bool = true
  ) {
    self.maxFaces = maxFaces
    self.detectEvery = detectEvery
    self.smoothing = smoothing
    self.fullFrame = fullFrame
    self.minTrackScore = minTrackScore
    self.minDetectionScore = minDetectionScore
    self.detectionPasses = detectionPasses
    self.trackingPasses = trackingPasses
    self.rotateCrops = rotateCrops
    self.overlapThreshold = overlapThreshold
    self.filter = filter
    self.backgroundDetection = backgroundDetection
  }

  /// The One Euro parameters tuned on moving-face clips (jitter against lag).
  public static let defaultFilter = OneEuroFilter(minCutoff: 1.0, beta: 1.0, derivativeCutoff: 1.0)
}

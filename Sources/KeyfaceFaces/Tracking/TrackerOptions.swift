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
  /// the previous pass's keypoints, e.g. 3 (a third pass: failures on photos 5.8% -> 5.2%).
  public var detectionPasses: Int
  /// Network passes on a tracked face, each re-framed from the previous keypoints, e.g. 1; with more than one,
  /// the last is the refiner's (see `FaceTracker.init`).
  public var trackingPasses: Int
  /// Frame a tracked face's crop where its motion over the last frames says it will be (`MotionPrediction`),
  /// rather than where it was.
  public var motionPrediction: Bool
  /// Re-framed crops turn a tilted head by the part of its roll beyond this many degrees, so it stays within
  /// the tilts the network was trained on (Kaggle's crops are not rotated; training adds up to 10°); 0 turns
  /// every head upright, infinity never rotates.
  public var rollKept: Float
  /// A detection overlapping a tracked face by more than this intersection over union is the same face.
  public var overlapThreshold: Float
  /// One Euro parameters for the face's shape (keypoints in the face-aligned frame, crop units).
  public var shapeFilter: OneEuroFilter
  /// One Euro parameters for the face's pose: centre (speed in face sizes per second), log scale, angle.
  public var poseFilter: OneEuroFilter
  /// Run the periodic detection on another thread and use its boxes `detectEvery / 2` frames later (always
  /// at the same frame, so output does not depend on timing). The first frame and a frame where a face was
  /// lost are still searched at once.
  public var backgroundDetection: Bool

  /// Options with the defaults of `keyface run`.
  public init(
    maxFaces: Int? = nil, detectEvery: Int = 30, smoothing: Bool = true, fullFrame: Bool = false,
    minTrackScore: Float = 0.5, minDetectionScore: Float = 0.5, detectionPasses: Int = 3,
    trackingPasses: Int = 1, motionPrediction: Bool = true, rollKept: Float = 10, overlapThreshold: Float = 0.3,
    shapeFilter: OneEuroFilter = TrackerOptions.defaultShapeFilter,
    poseFilter: OneEuroFilter = TrackerOptions.defaultPoseFilter, backgroundDetection: Bool = true
  ) {
    self.maxFaces = maxFaces
    self.detectEvery = detectEvery
    self.smoothing = smoothing
    self.fullFrame = fullFrame
    self.minTrackScore = minTrackScore
    self.minDetectionScore = minDetectionScore
    self.detectionPasses = detectionPasses
    self.trackingPasses = trackingPasses
    self.motionPrediction = motionPrediction
    self.rollKept = rollKept
    self.overlapThreshold = overlapThreshold
    self.shapeFilter = shapeFilter
    self.poseFilter = poseFilter
    self.backgroundDetection = backgroundDetection
  }

  /// Shape smoothing: 0.5 Hz at rest, opening up for fast expression changes (beta per crop unit per second).
  public static let defaultShapeFilter = OneEuroFilter(minCutoff: 0.5, beta: 0.1, derivativeCutoff: 1.0)
  /// Pose smoothing: 3 Hz at rest, opening up quickly with head motion (beta per face size per second).
  /// Tuned on the motion clips with simulated per-frame noise: error and jitter about half of unfiltered.
  public static let defaultPoseFilter = OneEuroFilter(minCutoff: 3.0, beta: 30, derivativeCutoff: 1.0)
}

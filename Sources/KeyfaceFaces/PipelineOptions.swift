/// Settings of a `KeypointPipeline` run.
public struct PipelineOptions: Sendable {
  /// Detection, tracking and smoothing; its `detectEvery` is replaced per source when `detectEvery` is nil.
  public var tracker: TrackerOptions
  /// Run the detector every this many frames; nil means about one second of video (the source's frame
  /// rate, else 30).
  public var detectEvery: Int?
  /// Decoding threads, e.g. 2; 0 lets FFmpeg pick from the number of cores.
  public var decodeThreads: Int
  /// Frames held between two stages, e.g. 8: bounds memory whatever the input's length.
  public var queueCapacity: Int
  /// When to predict each face twice, as seen and mirrored, and average (about 4% more accurate, twice the
  /// network work): by default for still images only.
  public var flipAverage: FlipAveraging

  /// Options with the defaults of `keyface run`.
  public init(
    tracker: TrackerOptions = TrackerOptions(), detectEvery: Int? = nil, decodeThreads: Int = 0,
    queueCapacity: Int = 8, flipAverage: FlipAveraging = .stillImages
  ) {
    self.flipAverage = flipAverage
    self.tracker = tracker
    self.detectEvery = detectEvery
    self.decodeThreads = decodeThreads
    self.queueCapacity = queueCapacity
  }
}

/// Which inputs get flip-averaged predictions (see `FlipAveragingEstimator`).
public enum FlipAveraging: String, Sendable, CaseIterable {
  /// Never.
  case off
  /// Still images (jpg, png, ...), where time does not matter; videos run once per face.
  case stillImages = "images"
  /// Every frame of every input.
  case on
}

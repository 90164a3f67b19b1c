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

  /// Options with the defaults of `keyface run`.
  public init(
    tracker: TrackerOptions = TrackerOptions(), detectEvery: Int? = nil, decodeThreads: Int = 0,
    queueCapacity: Int = 8
  ) {
    self.tracker = tracker
    self.detectEvery = detectEvery
    self.decodeThreads = decodeThreads
    self.queueCapacity = queueCapacity
  }
}

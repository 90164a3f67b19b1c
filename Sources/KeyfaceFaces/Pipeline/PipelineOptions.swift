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
  public var flipAverage: WhenToApply
  /// When the last pass on a face averages the frame network with the bundled crop networks, on a crop
  /// re-framed from the previous pass's keypoints (see `KeypointPipeline`): a new face's last detection pass on
  /// still images by default; `.on` adds such a pass to every tracked face in every frame of video too (on
  /// moving clips of held-out people: median NME 8% lower, jitter 30% lower, for about 4 times the network work).
  public var refine: WhenToApply
  /// When faces large enough to hold more detail than the 96-px crop (outer eye corners at least
  /// `patchMinimumEyeDistance` pixels apart) get the refinement stage: 15 patches at up to 2.5x the crop's
  /// resolution around the keypoints, one network call per face (`PatchRefiner`). On by default.
  public var refinePatches: WhenToApply
  /// The smallest face (outer-eye-corner distance in pixels) the refinement stage reads; nil: the default of
  /// `PatchRefiner`.
  public var patchMinimumEyeDistance: Float?

  /// Options with the defaults of `keyface run`.
  public init(
    tracker: TrackerOptions = TrackerOptions(), detectEvery: Int? = nil, decodeThreads: Int = 0,
    queueCapacity: Int = 8, flipAverage: WhenToApply = .stillImages, refine: WhenToApply = .stillImages,
    refinePatches: WhenToApply = .on, patchMinimumEyeDistance: Float? = nil
  ) {
    self.refinePatches = refinePatches
    self.patchMinimumEyeDistance = patchMinimumEyeDistance
    self.flipAverage = flipAverage
    self.refine = refine
    self.tracker = tracker
    self.detectEvery = detectEvery
    self.decodeThreads = decodeThreads
    self.queueCapacity = queueCapacity
  }
}

/// Which inputs get an extra, costlier prediction (flip averaging, refinement).
public enum WhenToApply: String, Sendable, CaseIterable {
  /// Never.
  case off
  /// Still images (jpg, png, ...), where time does not matter; videos run at full speed.
  case stillImages = "images"
  /// Every frame of every input.
  case on
}

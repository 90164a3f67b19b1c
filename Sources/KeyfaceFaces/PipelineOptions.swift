import KeyfaceMedia
import KeyfaceNN

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

/// What one source produced.
public struct SourceSummary: Sendable {
  /// The input as named by the user.
  public var source: String
  /// Frames decoded and written, e.g. 300.
  public var frames: Int
  /// Faces over all frames, e.g. 297.
  public var faces: Int
  /// Wall-clock seconds from opening to the last output, e.g. 1.25.
  public var seconds: Double
  /// How the source ended.
  public var outcome: SourceOutcome
  /// The error that stopped it, when `outcome` is `.failed`.
  public var error: PipelineError?
}

/// A failure while processing one input: the file and the problem, on one line.
public struct PipelineError: Error, CustomStringConvertible {
  /// The input or output file the problem is about.
  public let path: String
  /// What went wrong, e.g. "not a video or image file (Invalid data found when processing input)".
  public let message: String

  /// Creates an error about `path`.
  public init(path: String, message: String) {
    self.path = path
    self.message = message.split(whereSeparator: \.isNewline).joined(separator: " ")
  }

  /// Wraps any error met while processing `source`, keeping the file it names when it names one.
  public init(_ error: Error, source: String) {
    switch error {
    case let e as PipelineError: self = e
    case let e as OutputError: self.init(path: e.path, message: e.message)
    case let e as MediaError: self.init(path: e.path, message: e.message)
    case let e as HaarCascade.LoadError: self.init(path: e.path, message: e.problem)
    // Model errors name only the file's last component; keep the path the user gave.
    case let e as ModelFileError: self.init(path: source, message: e.problem)
    case let e as CustomStringConvertible:
      let text = e.description
      // Media and model errors already read "<path>: <problem>".
      self.init(path: source, message: text.hasPrefix(source + ": ") ? String(text.dropFirst(source.count + 2)) : text)
    default: self.init(path: source, message: "\(error)")
    }
  }

  /// `"<path>: <message>"`.
  public var description: String { "\(path): \(message)" }
}

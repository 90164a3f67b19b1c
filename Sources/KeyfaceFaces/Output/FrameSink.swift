import KeyfaceMedia

/// A consumer of the pipeline's results, frame by frame and in frame order: JSON Lines, CSV, annotated video.
///
/// Calls come from one output thread: `begin` once per source, `write` for every decoded frame, `end` once
/// per source that began, then `finish` once after the last source (or `abort` to discard files).
public protocol FrameSink: AnyObject {
  /// True if `write` needs the frame's colour picture (the reader then converts it).
  var wantsColor: Bool { get }
  /// A source starts.
  func begin(_ source: SourceInfo) throws
  /// One frame's result and the decoded frame it came from.
  func write(_ result: FrameResult, frame: DecodedFrame) throws
  /// The source ended; `outcome` says how.
  func end(_ source: SourceInfo, outcome: SourceOutcome) throws
  /// All sources are done: commit files.
  func finish() throws
  /// Discard files that are not complete.
  func abort()
}

extension FrameSink {
  public var wantsColor: Bool { false }
  public func begin(_ source: SourceInfo) throws {}
  public func end(_ source: SourceInfo, outcome: SourceOutcome) throws {}
  public func finish() throws {}
  public func abort() {}
}

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

/// Several sinks fed the same frames, in order.
public final class SinkGroup: FrameSink {
  /// The sinks, called in this order.
  public let sinks: [FrameSink]

  /// Groups `sinks`.
  public init(_ sinks: [FrameSink]) {
    self.sinks = sinks
  }

  public var wantsColor: Bool { sinks.contains { $0.wantsColor } }

  public func begin(_ source: SourceInfo) throws {
    for s in sinks { try s.begin(source) }
  }

  public func write(_ result: FrameResult, frame: DecodedFrame) throws {
    for s in sinks { try s.write(result, frame: frame) }
  }

  /// Ends the source on every sink, even when one throws; rethrows the first error.
  public func end(_ source: SourceInfo, outcome: SourceOutcome) throws {
    var firstError: Error?
    for s in sinks {
      do { try s.end(source, outcome: outcome) } catch { if firstError == nil { firstError = error } }
    }
    if let firstError { throw firstError }
  }

  /// Finishes every sink, even when one throws; rethrows the first error.
  public func finish() throws {
    var firstError: Error?
    for s in sinks {
      do { try s.finish() } catch { if firstError == nil { firstError = error } }
    }
    if let firstError { throw firstError }
  }

  public func abort() {
    for s in sinks { s.abort() }
  }
}

/// A sink that keeps every result in memory: for tests and library callers that want values, not text.
public final class CollectingSink: FrameSink {
  /// The results received, in order.
  public private(set) var results: [FrameResult] = []

  /// Creates an empty collector.
  public init() {}

  public func write(_ result: FrameResult, frame: DecodedFrame) throws {
    results.append(result)
  }
}

import KeyfaceMedia

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

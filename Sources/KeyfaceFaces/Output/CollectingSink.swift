import KeyfaceMedia

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

/// A flag that asks a running pipeline to stop after the frames in flight (set from a signal handler's queue).
public final class CancellationFlag: @unchecked Sendable {
  private let value = LockedValue(false)

  /// Creates an unset flag.
  public init() {}

  /// True once `cancel()` was called.
  public var isCancelled: Bool { value.current }

  /// Asks the pipeline to stop.
  public func cancel() {
    value.withLock { $0 = true }
  }
}

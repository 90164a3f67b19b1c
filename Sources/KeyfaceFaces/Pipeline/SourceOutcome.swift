/// How the processing of one source ended.
public enum SourceOutcome: Sendable, Equatable {
  /// Every frame was processed.
  case completed
  /// Stopped early on request (SIGINT); outputs keep the frames done so far.
  case cancelled
  /// Stopped by an error; outputs that cannot be partial are discarded.
  case failed
}

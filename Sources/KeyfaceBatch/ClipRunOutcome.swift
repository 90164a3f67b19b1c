import Foundation

/// How a clip's run ended.
public enum ClipRunOutcome: Equatable, Sendable {
  /// Finished: the outputs are complete.
  case succeeded
  /// Refused or failed, with a one-line reason, e.g. "Invalid data found when processing input".
  case failed(String)
  /// The child died from a signal, e.g. 11 (SIGSEGV).
  case crashed(signal: Int32)
  /// The child was killed after this many seconds.
  case timedOut(TimeInterval)
  /// The batch was interrupted while the clip ran.
  case interrupted
}

import Foundation

/// How long a clip may run before its child process is killed and the clip reported as timed out.
public enum TimeoutPolicy: Equatable, Sendable {
  /// Generous and sized to the file: the larger of 2 minutes and 60 seconds per megabyte.
  ///
  /// Processing time follows the number of frames, and a file's size follows its duration; 60 s per MB allows
  /// about 4 s per second of a 500 kbit/s clip, 30 s per second of a 4 Mbit/s 720p clip. A hang is caught; a slow
  /// clip is not.
  case automatic
  /// A fixed number of seconds per clip.
  case seconds(Double)
  /// No limit.
  case unlimited

  /// The limit for a clip, in seconds; nil for none.
  public func limit(for clip: Clip) -> TimeInterval? {
    switch self {
    case .automatic: return max(120, 60 * Double(clip.size) / 1_000_000)
    case .seconds(let seconds): return seconds
    case .unlimited: return nil
    }
  }
}

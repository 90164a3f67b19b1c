import Foundation

/// Runs one clip, blocking until it ends. The batch calls it from several threads at once.
public protocol ClipRunner: Sendable {
  /// Processes `job`, polling `stop` to stop early, and reports how it ended.
  func run(_ job: ClipJob, stop: StopSignal) -> ClipRunOutcome
}

import Foundation

/// One clip to process: where to read it, where to write, with how many threads and how long at most.
public struct ClipJob: Sendable {
  /// The clip.
  public var clip: Clip
  /// The temporary files the runner writes, by kind; the batch renames them once the runner succeeded.
  public var outputs: [OutputKind: String]
  /// Threads the child may use, e.g. 1.
  public var threads: Int
  /// Seconds after which the child is killed and the clip reported as timed out; nil for no limit.
  public var timeout: TimeInterval?
  /// Where the child's standard error goes; the last line is the failure reason.
  public var logPath: String

  /// Creates a job.
  public init(
    clip: Clip, outputs: [OutputKind: String], threads: Int, timeout: TimeInterval?, logPath: String
  ) {
    self.clip = clip
    self.outputs = outputs
    self.threads = threads
    self.timeout = timeout
    self.logPath = logPath
  }
}

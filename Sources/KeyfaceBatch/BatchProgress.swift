/// Progress across a batch, reported after each clip.
public struct BatchProgress: Sendable {
  /// Clips finished (ok or failed).
  public var done: Int
  /// Clips to run.
  public var total: Int
  /// Clips failed so far.
  public var failed: Int
  /// Frames of the clips finished.
  public var frames: Int
  /// Bytes of the clips finished: with `bytesTotal`, the basis of the time left.
  public var bytesDone: Int64
  /// Bytes of all clips to run.
  public var bytesTotal: Int64

  /// Creates a progress report.
  public init(done: Int, total: Int, failed: Int, frames: Int, bytesDone: Int64, bytesTotal: Int64) {
    self.done = done
    self.total = total
    self.failed = failed
    self.frames = frames
    self.bytesDone = bytesDone
    self.bytesTotal = bytesTotal
  }
}

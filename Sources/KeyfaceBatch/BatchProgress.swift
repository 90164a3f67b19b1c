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
  /// Bytes of the clips finished, and of all clips to run: the basis of the time left.
  public var bytesDone: Int64
  /// Bytes of all clips to run.
  public var bytesTotal: Int64
}

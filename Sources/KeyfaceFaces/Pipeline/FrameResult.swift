/// Everything found in one decoded frame: one JSON line, zero or more CSV rows.
public struct FrameResult: Sendable, Equatable {
  /// The input as named by the user, e.g. "clip.mp4" or "-".
  public var source: String
  /// Decoded frames counted from 0.
  public var frame: Int
  /// Presentation time in seconds, as ffprobe shows it, e.g. 0.852.
  public var time: Double
  /// Width of the displayed frame in pixels, e.g. 640.
  public var width: Int
  /// Height of the displayed frame in pixels, e.g. 360.
  public var height: Int
  /// The faces, sorted by id; empty when there is none.
  public var faces: [FaceResult]

  /// Creates a frame result.
  public init(source: String, frame: Int, time: Double, width: Int, height: Int, faces: [FaceResult]) {
    self.source = source
    self.frame = frame
    self.time = time
    self.width = width
    self.height = height
    self.faces = faces
  }
}

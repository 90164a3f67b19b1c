/// What the pipeline knows about one input before its first frame.
public struct SourceInfo: Sendable {
  /// The input as named by the user ("clip.mp4", "-", a URL); reported in every line.
  public var name: String
  /// Width of the displayed frames in pixels, e.g. 1280.
  public var width: Int
  /// Height of the displayed frames in pixels, e.g. 720.
  public var height: Int
  /// The stream's nominal frame rate, e.g. 29.97; nil when unknown.
  public var frameRate: Double?
  /// The duration in seconds when the container states it, e.g. 12.4.
  public var duration: Double?
  /// True for a still image (one frame).
  public var isStillImage: Bool

  /// Creates source information.
  public init(
    name: String, width: Int, height: Int, frameRate: Double?, duration: Double? = nil, isStillImage: Bool = false
  ) {
    self.name = name
    self.width = width
    self.height = height
    self.frameRate = frameRate
    self.duration = duration
    self.isStillImage = isStillImage
  }
}

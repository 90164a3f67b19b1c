/// One decoded video frame, as a player shows it (rotation applied).
public struct DecodedFrame: Sendable {
  /// Decoded frames counted from 0 in decoding output (presentation) order.
  public var index: Int
  /// Presentation time in seconds, `best_effort_timestamp * time_base` as ffprobe's `pts_time`; 0 for still images.
  public var time: Double
  /// Full-range grey (0 black, 255 white, as FFmpeg's `-pix_fmt gray`) at source resolution, in displayed orientation.
  public var gray: GrayImage
  /// The picture in limited-range yuv420p (ready to encode), in displayed orientation; only when the reader
  /// was asked for colour.
  public var color: YUVImage?

  public init(index: Int, time: Double, gray: GrayImage, color: YUVImage?) {
    self.index = index
    self.time = time
    self.gray = gray
    self.color = color
  }
}

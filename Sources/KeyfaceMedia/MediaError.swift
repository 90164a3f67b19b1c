/// A failure to read or write a media file: the file and what went wrong, on one line.
public struct MediaError: Error, CustomStringConvertible {
  /// The file, URL or `-` the error is about.
  public let path: String
  /// What went wrong, e.g. "not a video or image file (Invalid data found when processing input)".
  public let message: String

  public init(path: String, message: String) {
    self.path = path
    // One line, always: FFmpeg messages never contain newlines, but callers' messages might.
    self.message = message.split(whereSeparator: \.isNewline).joined(separator: " ")
  }

  /// `"<path>: <message>"`.
  public var description: String { "\(path): \(message)" }
}

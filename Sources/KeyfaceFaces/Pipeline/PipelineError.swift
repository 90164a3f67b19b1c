import KeyfaceDetection
import KeyfaceMedia
import KeyfaceNN

/// A failure while processing one input: the file and the problem, on one line.
public struct PipelineError: Error, CustomStringConvertible {
  /// The input or output file the problem is about.
  public let path: String
  /// What went wrong, e.g. "not a video or image file (Invalid data found when processing input)".
  public let message: String

  /// Creates an error about `path`.
  public init(path: String, message: String) {
    self.path = path
    self.message = message.split(whereSeparator: \.isNewline).joined(separator: " ")
  }

  /// Wraps any error met while processing `source`, keeping the file it names when it names one.
  public init(_ error: Error, source: String) {
    switch error {
    case let e as PipelineError: self = e
    case let e as OutputError: self.init(path: e.path, message: e.message)
    case let e as MediaError: self.init(path: e.path, message: e.message)
    case let e as HaarCascade.LoadError: self.init(path: e.path, message: e.problem)
    // Model errors name only the file's last component; keep the path the user gave.
    case let e as ModelFileError: self.init(path: source, message: e.problem)
    case let e as CustomStringConvertible:
      let text = e.description
      // Media and model errors already read "<path>: <problem>".
      self.init(path: source, message: text.hasPrefix(source + ": ") ? String(text.dropFirst(source.count + 2)) : text)
    default: self.init(path: source, message: "\(error)")
    }
  }

  /// `"<path>: <message>"`.
  public var description: String { "\(path): \(message)" }
}

/// A failure to create or write an output file.
public struct OutputError: Error, CustomStringConvertible {
  /// The output's path.
  public let path: String
  /// What went wrong.
  public let message: String

  /// Creates an error about `path`.
  public init(path: String, message: String) {
    self.path = path
    self.message = message
  }

  /// `"<path>: <message>"`.
  public var description: String { "\(path): \(message)" }
}

/// A Kaggle CSV file that cannot be read, naming the file and, when it applies, the line.
public struct KaggleCSVError: Error, CustomStringConvertible, Equatable {
  /// The file.
  public var path: String
  /// The 1-based line number, or nil for a file-level problem.
  public var line: Int?
  /// What is wrong, e.g. "expected 9216 pixel values, found 9215".
  public var message: String

  /// Creates an error.
  public init(path: String, line: Int?, message: String) {
    self.path = path
    self.line = line
    self.message = message
  }

  /// `path:line: message`, one line.
  public var description: String {
    if let line { return "\(path):\(line): \(message)" }
    return "\(path): \(message)"
  }
}

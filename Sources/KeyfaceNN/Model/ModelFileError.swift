/// A model file that cannot be used: missing, truncated, corrupt, or not matching its architecture.
///
/// `description` is one line naming the file, e.g. `model.safetensors: truncated header (needs 812 bytes, file has 100)`.
public struct ModelFileError: Error, CustomStringConvertible {
  /// The file's name as given (last path component).
  public let file: String
  /// What is wrong, e.g. `tensor conv1.weight has shape [32, 3, 3, 3], expected [32, 1, 3, 3]`.
  public let problem: String

  /// An error about `file` (a path or name; only the last component is shown).
  public init(file: String, problem: String) {
    self.file = (file as NSString).lastPathComponent
    self.problem = problem
  }

  /// `file: problem`.
  public var description: String { "\(file): \(problem)" }
}

import Foundation

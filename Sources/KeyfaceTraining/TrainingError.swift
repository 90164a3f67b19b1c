/// A training, evaluation or output problem, as one line naming the file or option concerned.
public struct TrainingError: Error, CustomStringConvertible, Equatable {
  /// The message, e.g. `model.safetensors: cannot write: Permission denied`.
  public let description: String

  /// Creates an error with a one-line message.
  public init(_ description: String) { self.description = description }
}

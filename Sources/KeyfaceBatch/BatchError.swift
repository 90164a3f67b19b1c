import Foundation

/// A problem that stops a batch before any clip runs: a missing folder, an unsafe or colliding output name, an
/// output folder that cannot be written. The command reports it as a usage error (exit status 1).
public struct BatchError: Error, CustomStringConvertible, Sendable {
  /// One line naming the file or option and the problem, e.g. "clips: no such file or folder".
  public let description: String

  /// Creates an error with a one-line message.
  public init(_ description: String) { self.description = description }

  /// The message of the C library's `errno`, e.g. "Permission denied".
  static func errnoMessage(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
  }
}

/// What a walk found: the clips in a stable order, and the things it had to pass over.
public struct ClipDiscovery: Sendable {
  /// Clips sorted by relative path.
  public var clips: [Clip]
  /// One line per folder that could not be read, loop cut, or odd file skipped, e.g. "clips/x: symbolic link loop".
  public var warnings: [String]
}

import Foundation

/// A video file found under one of the folders given to a batch.
public struct Clip: Hashable, Sendable {
  /// The path used to open the file, e.g. `clips/a/b.mp4` (as given, joined with the names walked).
  public var source: String
  /// The path relative to the folder it was found in, e.g. `a/b.mp4`; outputs are named after it.
  public var relativePath: String
  /// The size in bytes, used to start long clips first; 0 when unknown.
  public var size: Int64

  /// Creates a clip.
  public init(source: String, relativePath: String, size: Int64 = 0) {
    self.source = source
    self.relativePath = relativePath
    self.size = size
  }
}

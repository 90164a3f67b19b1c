import Foundation

/// What happened to one clip of a batch; one entry of `summary.json`.
public struct ClipResult: Codable, Equatable, Sendable {
  /// ok, failed or skipped.
  public enum Status: String, Codable, Sendable {
    /// Processed; its outputs are complete.
    case ok
    /// Not processed; `error` says why, and no output was left.
    case failed
    /// Not run: done by an earlier batch (`--resume`) or never started because the batch was interrupted.
    case skipped
  }

  /// The clip's path as walked, e.g. `clips/a/b.mp4`.
  public var source: String
  /// The path relative to its folder, e.g. `a/b.mp4`; its outputs are `OUTDIR/a/b.mp4.jsonl` and so on.
  public var relativePath: String
  /// ok, failed or skipped.
  public var status: Status
  /// Frames decoded, when known.
  public var frames: Int?
  /// Faces found, summed over frames, when known.
  public var faces: Int?
  /// Wall-clock seconds spent on the clip, when it ran.
  public var seconds: Double?
  /// One line saying why it failed or was skipped, e.g. "timed out after 120 s".
  public var error: String?

  /// Creates a result.
  public init(
    source: String, relativePath: String, status: Status, frames: Int? = nil, faces: Int? = nil,
    seconds: Double? = nil, error: String? = nil
  ) {
    self.source = source
    self.relativePath = relativePath
    self.status = status
    self.frames = frames
    self.faces = faces
    self.seconds = seconds
    self.error = error
  }

  private enum CodingKeys: String, CodingKey {
    case source, relativePath, status, frames, faces, seconds, error
  }

  /// Writes every key, with `null` for unknown values, so readers of `summary.json` see one shape.
  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(source, forKey: .source)
    try container.encode(relativePath, forKey: .relativePath)
    try container.encode(status, forKey: .status)
    try container.encode(frames, forKey: .frames)
    try container.encode(faces, forKey: .faces)
    try container.encode(seconds.map { ($0 * 1000).rounded() / 1000 }, forKey: .seconds)
    try container.encode(error, forKey: .error)
  }
}

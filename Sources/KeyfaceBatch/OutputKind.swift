/// The files a batch writes per clip, named `<relative path><suffix>` inside the output folder.
public enum OutputKind: String, CaseIterable, Codable, Sendable {
  /// JSON Lines, one line per frame: `a/b.mp4.jsonl`. Always written.
  case jsonl
  /// CSV: `a/b.mp4.csv`.
  case csv
  /// The annotated video: `a/b.mp4.annotated.mp4`.
  case video

  /// What is appended to the clip's relative path.
  public var suffix: String {
    switch self {
    case .jsonl: return ".jsonl"
    case .csv: return ".csv"
    case .video: return ".annotated.mp4"
    }
  }

  /// The extension of the temporary file the child writes (the video's container follows it).
  var temporaryName: String {
    switch self {
    case .jsonl: return "clip.jsonl"
    case .csv: return "clip.csv"
    case .video: return "clip.mp4"
    }
  }
}

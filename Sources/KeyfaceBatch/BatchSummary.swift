import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The outcome of a batch: one result per clip and the totals; written as `OUTDIR/summary.json`.
public struct BatchSummary: Codable, Equatable, Sendable {
  /// Sums over the clips.
  public struct Totals: Codable, Equatable, Sendable {
    /// Clips in this batch (after --shard).
    public var clips: Int
    /// Clips processed now.
    public var ok: Int
    /// Clips that failed.
    public var failed: Int
    /// Clips not run (done before, or interrupted before they started).
    public var skipped: Int
    /// Frames of the clips processed now.
    public var frames: Int
    /// Faces of the clips processed now.
    public var faces: Int
    /// Wall-clock seconds of the whole batch.
    public var seconds: Double
    /// `frames / seconds`.
    public var framesPerSecond: Double
  }

  /// One entry per clip, sorted by relative path.
  public var clips: [ClipResult]
  /// Sums.
  public var totals: Totals
  /// The share taken, e.g. "1/1" or "2/4".
  public var shard: String
  /// Clips run at once.
  public var jobs: Int
  /// Threads given to each clip.
  public var threadsPerJob: Int
  /// True when SIGINT or SIGTERM stopped the batch early.
  public var interrupted: Bool
  /// Folders that could not be read, loops cut, odd files skipped.
  public var warnings: [String]

  /// Builds the summary and its totals.
  public init(
    clips: [ClipResult], seconds: Double, shard: Shard, jobs: Int, threadsPerJob: Int, interrupted: Bool,
    warnings: [String]
  ) {
    self.clips = clips.sorted { Array($0.relativePath.utf8).lexicographicallyPrecedes($1.relativePath.utf8) }
    let done = clips.filter { $0.status == .ok }
    let frames = done.reduce(0) { $0 + ($1.frames ?? 0) }
    totals = Totals(
      clips: clips.count, ok: done.count, failed: clips.filter { $0.status == .failed }.count,
      skipped: clips.filter { $0.status == .skipped }.count, frames: frames,
      faces: done.reduce(0) { $0 + ($1.faces ?? 0) }, seconds: (seconds * 1000).rounded() / 1000,
      framesPerSecond: seconds > 0 ? (Double(frames) / seconds * 10).rounded() / 10 : 0)
    self.shard = shard.description
    self.jobs = jobs
    self.threadsPerJob = threadsPerJob
    self.interrupted = interrupted
    self.warnings = warnings
  }

  /// The file name: `summary.json`, or `summary.shard-2-of-4.json` for a share, so shares writing to one shared
  /// folder do not overwrite each other's summaries.
  public static func fileName(for shard: Shard) -> String {
    shard.count == 1 ? "summary.json" : "summary.shard-\(shard.index)-of-\(shard.count).json"
  }

  /// The summary as pretty-printed JSON with sorted keys.
  public func jsonData() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(self) + Data("\n".utf8)
  }

  /// Writes the summary to `path` through a temporary file in the same folder and a rename, so readers never see
  /// half a summary.
  public func write(to path: String) throws {
    try AtomicFile.write(try jsonData(), to: path)
  }

  /// A table for the terminal: one row per clip (only failed ones past `limit` clips), then the totals.
  public func table(limit: Int = 40) -> String {
    let shown = clips.count <= limit ? clips : clips.filter { $0.status == .failed }
    var lines = ["status   frames   faces  seconds  clip"]
    for clip in shown {
      let frames = clip.frames.map(String.init) ?? "-"
      let faces = clip.faces.map(String.init) ?? "-"
      let seconds = clip.seconds.map { String(format: "%.1f", $0) } ?? "-"
      var line =
        clip.status.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0) + " "
        + frames.leftPadded(7) + " " + faces.leftPadded(7) + " " + seconds.leftPadded(8) + "  " + clip.source
      if let error = clip.error { line += ": " + error }
      lines.append(line)
    }
    if shown.count < clips.count {
      lines.append("(\(clips.count - shown.count) more clips in the summary file)")
    }
    lines.append(
      "\(totals.clips) clips: \(totals.ok) ok, \(totals.failed) failed, \(totals.skipped) skipped; "
        + "\(totals.frames) frames, \(totals.faces) faces in \(String(format: "%.1f", totals.seconds)) s "
        + "(\(String(format: "%.1f", totals.framesPerSecond)) frames/s)" + (interrupted ? "; interrupted" : ""))
    return lines.joined(separator: "\n")
  }
}

extension String {
  fileprivate func leftPadded(_ width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }
}

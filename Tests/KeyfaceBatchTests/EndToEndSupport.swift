import Foundation
import XCTest

/// Finding and running the built `keyface`, and making clips with the `ffmpeg` command, for end-to-end tests.
enum EndToEnd {
  /// The package's root folder, found from this file's path.
  static let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while url.path != "/" {
      if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Sources/keyface").path) { return url.path }
      }
      url.deleteLastPathComponent()
    }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().path
  }()

  /// The built keyface: `$KEYFACE_BINARY`, the one beside this test bundle, or the newest `.build*/debug/keyface`
  /// (or release) in the package.
  static let binary: String? = {
    let manager = FileManager.default
    if let path = ProcessInfo.processInfo.environment["KEYFACE_BINARY"], manager.isExecutableFile(atPath: path) {
      return path
    }
    if let bundle = Bundle.main.executablePath {
      let sibling = URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("keyface").path
      if manager.isExecutableFile(atPath: sibling) { return sibling }
    }
    var candidates: [(path: String, date: Date)] = []
    for name in (try? manager.contentsOfDirectory(atPath: packageRoot)) ?? [] where name.hasPrefix(".build") {
      for configuration in ["debug", "release"] {
        let path = packageRoot + "/" + name + "/" + configuration + "/keyface"
        if manager.isExecutableFile(atPath: path),
          let date = (try? manager.attributesOfItem(atPath: path))?[.modificationDate] as? Date
        {
          candidates.append((path, date))
        }
      }
    }
    return candidates.max { $0.date < $1.date }?.path
  }()

  /// `--model PATH` when `$KEYFACE_MODEL` names a model to use instead of the bundled one, else nothing.
  static let modelArguments: [String] = {
    guard let path = ProcessInfo.processInfo.environment["KEYFACE_MODEL"], !path.isEmpty else { return [] }
    return ["--model", path]
  }()

  /// How a command ended.
  struct Result {
    var status: Int32
    var signalled: Bool
    var timedOut: Bool
    var standardError: String
  }

  /// Runs a command with a time limit; standard output goes to /dev/null.
  static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let errorPath = NSTemporaryDirectory() + "keyface-e2e-stderr-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: errorPath) }
    let errorHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
    process.standardError = errorHandle
    process.standardOutput = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    var timedOut = false
    while process.isRunning {
      if Date() > deadline {
        timedOut = true
        kill(process.processIdentifier, SIGKILL)
        break
      }
      usleep(20_000)
    }
    process.waitUntilExit()
    try? errorHandle.close()
    let text = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
    return Result(
      status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
      timedOut: timedOut, standardError: text)
  }

  /// The `ffmpeg` command, if installed.
  static let ffmpeg: String? = ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg", "/opt/homebrew/bin/ffmpeg"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }

  /// Encodes a short H.264 clip (from the bundled sample when present, so it has a face) with the ffmpeg command.
  static func makeClip(at path: String, seconds: Double = 0.6, extraArguments: [String] = []) throws {
    guard let ffmpeg else { throw XCTSkip("the ffmpeg command is not installed") }
    let sample = packageRoot + "/samples/astronaut.mp4"
    let input =
      FileManager.default.fileExists(atPath: sample)
      ? ["-i", sample] : ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25"]
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    let result = try run(
      ffmpeg,
      ["-nostdin", "-v", "error", "-y"] + input + [
        "-t", String(seconds), "-vf", "scale=320:240", "-an", "-c:v", "libx264", "-preset", "ultrafast",
        "-pix_fmt", "yuv420p",
      ] + extraArguments + [path], timeout: 60)
    guard result.status == 0 else { throw XCTSkip("ffmpeg could not make a clip: \(result.standardError)") }
  }

  /// The built keyface, once `keyface run` works on a good clip; skips the test otherwise.
  static func workingBinary(clip: String, scratch: String) throws -> String {
    guard let binary else { throw XCTSkip("keyface is not built (swift build) — the library tests cover the logic") }
    let result = try run(binary, ["run", "--jsonl", scratch + "/probe.jsonl"] + modelArguments + [clip], timeout: 120)
    if result.status != 0 {
      throw XCTSkip("`keyface run` does not work yet (\(result.standardError.prefix(200)))")
    }
    return binary
  }

  /// Lines of a file.
  static func lineCount(_ path: String) throws -> Int {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count
  }
}

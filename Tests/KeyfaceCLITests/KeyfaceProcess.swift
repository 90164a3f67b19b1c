// Runs the built `keyface` binary as a user would, for the end-to-end tests.
import Foundation
import XCTest

/// One finished run of the binary.
struct KeyfaceRun {
  var status: Int32
  var stdout: String
  var stderr: String

  /// The non-empty lines of standard output.
  var lines: [Substring] { stdout.split(separator: "\n") }
}

enum KeyfaceProcess {
  /// The products folder holding `keyface`: next to the test bundle, wherever --scratch-path put it.
  static var binary: URL {
    #if os(macOS)
      for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
        return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("keyface")
      }
    #endif
    var candidates = [Bundle.main.bundleURL.appendingPathComponent("keyface")]
    // Fallback: walk up from this file to the package and look in the default build folder.
    let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    candidates.append(package.appendingPathComponent(".build/debug/keyface"))
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
  }

  /// The package's root folder (for `samples/`).
  static var packageRoot: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
  }

  /// Extra arguments for every run: `--model $KEYFACE_TEST_MODEL` when that is set, else the bundled model.
  static var modelArguments: [String] {
    ProcessInfo.processInfo.environment["KEYFACE_TEST_MODEL"].map { ["--model", $0] } ?? []
  }

  /// Starts `keyface arguments...` with standard output and error going to files in `directory`.
  static func start(
    _ arguments: [String], in directory: URL, stdin: URL? = nil, tag: String = UUID().uuidString
  ) throws -> (process: Process, stdout: URL, stderr: URL) {
    let out = directory.appendingPathComponent("stdout-\(tag)")
    let err = directory.appendingPathComponent("stderr-\(tag)")
    FileManager.default.createFile(atPath: out.path, contents: nil)
    FileManager.default.createFile(atPath: err.path, contents: nil)
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = directory
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    process.standardInput = try stdin.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
    try process.run()
    return (process, out, err)
  }

  /// Runs `keyface arguments...` to the end.
  static func run(_ arguments: [String], in directory: URL, stdin: URL? = nil) throws -> KeyfaceRun {
    let (process, out, err) = try start(arguments, in: directory, stdin: stdin)
    process.waitUntilExit()
    return KeyfaceRun(
      status: process.terminationStatus,
      stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
  }

  /// Encodes FFmpeg's test pattern with the ffmpeg command-line tool.
  static func makeClip(
    _ name: String, in directory: URL, frames: Int, size: String = "160x120", rate: Int = 25,
    extra: [String] = []
  ) throws -> URL {
    let url = directory.appendingPathComponent(name)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
      ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=\(size):rate=\(rate)"] + extra + [
        "-frames:v", "\(frames)", "-pix_fmt", "yuv420p", url.path,
      ]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw XCTSkip("ffmpeg could not make a test clip") }
    return url
  }
}

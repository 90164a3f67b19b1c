// Helpers for media tests: a temporary folder per test and the ffmpeg/ffprobe command-line tools, which
// make the clips the tests decode and give the reference answers.

import Foundation
import XCTest

/// Runs a tool from PATH; returns its standard output, failing the test on a non-zero exit.
@discardableResult
func runTool(
  _ tool: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line
) throws -> String {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = [tool] + arguments
  let output = Pipe()
  let errors = Pipe()
  process.standardOutput = output
  process.standardError = errors
  try process.run()
  // Read before waiting so a large output cannot fill the pipe and block the child.
  let data = output.fileHandleForReading.readDataToEndOfFile()
  let errorData = errors.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  if process.terminationStatus != 0 {
    let message = String(decoding: errorData, as: UTF8.self)
    XCTFail(
      "\(tool) \(arguments.joined(separator: " ")) failed: \(message)", file: file, line: line)
    throw CocoaError(.executableLoad)
  }
  return String(decoding: data, as: UTF8.self)
}

/// `ffmpeg -v error -y <arguments>`.
func ffmpeg(_ arguments: String...) throws {
  try runTool("ffmpeg", ["-nostdin", "-v", "error", "-y"] + arguments)
}

/// The presentation times ffprobe reports for the frames of the first video stream.
func ffprobeFrameTimes(_ path: String) throws -> [Double] {
  let text = try runTool(
    "ffprobe",
    [
      "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of", "csv=p=0",
      path,
    ])
  // Frames with side data print an extra empty section: "0.000000," then a blank line.
  return text.split(whereSeparator: \.isNewline).compactMap { line in
    line.split(separator: ",").first.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
  }
}

/// ffprobe's value of `entries` (e.g. "stream=codec_type") for each stream, one string per stream.
func ffprobeStreams(_ path: String, _ entries: String) throws -> [String] {
  let text = try runTool(
    "ffprobe", ["-v", "error", "-show_entries", entries, "-of", "csv=p=0", path])
  return text.split(whereSeparator: \.isNewline).map(String.init)
}

/// A fresh temporary folder, removed when the test ends.
func temporaryFolder(_ test: XCTestCase) throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent(
    "keyface-media-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
  return url
}

/// The samples/ folder of the package.
let samplesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("samples")

/// How many bytes differ between two buffers (all of the longer one's extra bytes count), without printing them.
func differences(_ a: [UInt8], _ b: [UInt8]) -> Int {
  zip(a, b).reduce(abs(a.count - b.count)) { $0 + ($1.0 == $1.1 ? 0 : 1) }
}

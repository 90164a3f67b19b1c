import Foundation
import KeyfaceNN
import XCTest

@testable import KeyfaceTraining

/// Builds small Kaggle-format files inside a per-test temporary directory.
final class Fixtures {
  let directory: URL

  init() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyface-training-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: directory) }

  /// The training CSV header: 30 coordinate columns, then Image.
  static var trainingHeader: String {
    ((0..<KaggleDataset.coordinateCount).map(KaggleDataset.coordinateName) + ["Image"]).joined(separator: ",")
  }

  /// One training row; nil coordinates become empty cells.
  static func trainingRow(_ coordinates: [Float?], pixels: [UInt8]) -> String {
    let cells = coordinates.map { $0.map { String($0) } ?? "" }
    return (cells + [pixels.map(String.init).joined(separator: " ")]).joined(separator: ",")
  }

  /// A face-like test image whose pixel value depends on position and `seed`.
  static func pixels(seed: Int) -> [UInt8] {
    (0..<KaggleDataset.pixelCount).map { UInt8(($0 * 7 + seed * 13 + ($0 / 96) * 3) % 256) }
  }

  @discardableResult
  func write(_ name: String, _ text: String) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  /// Compresses `url` with the gzip CLI and returns the `.gz` file.
  func gzip(_ url: URL) throws -> URL {
    try run("/usr/bin/env", ["gzip", "-k", "-f", url.path])
    return URL(fileURLWithPath: url.path + ".gz")
  }

  @discardableResult
  func run(_ tool: String, _ arguments: [String]) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw TrainingError("\(arguments.first ?? tool) exited with \(process.terminationStatus)")
    }
    return data
  }
}

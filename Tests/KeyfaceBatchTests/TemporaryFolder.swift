import Foundation
import XCTest

/// A fresh folder under the system's temporary folder, removed by `remove()`.
final class TemporaryFolder {
  let path: String

  init(_ label: String = "batch") throws {
    path = NSTemporaryDirectory() + "keyface-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  /// Writes `contents` at `relative`, creating folders, and returns the full path.
  @discardableResult
  func write(_ relative: String, _ contents: String = "") throws -> String {
    let full = path + "/" + relative
    try FileManager.default.createDirectory(
      atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(contents.utf8).write(to: URL(fileURLWithPath: full))
    return full
  }

  func link(_ relative: String, to destination: String) throws {
    let full = path + "/" + relative
    try FileManager.default.createDirectory(
      atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: destination)
  }

  func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path + "/" + relative) }

  /// Every file below the folder, relative, sorted (hidden ones included).
  func allFiles(under relative: String = "") -> [String] {
    let root = relative.isEmpty ? path : path + "/" + relative
    guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
    var files: [String] = []
    while let name = enumerator.nextObject() as? String {
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: root + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue {
        files.append(name)
      }
    }
    return files.sorted()
  }

  func remove() {
    try? FileManager.default.removeItem(atPath: path)
  }
}

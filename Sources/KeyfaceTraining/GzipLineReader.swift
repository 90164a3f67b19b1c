// Streams the lines of a plain or gzip-compressed text file through zlib (gzread reads both), one
// reusable buffer at a time, so a 170 MB CSV never sits in memory whole.
import CZlib
import Foundation

/// Reads a plain or `.gz` text file line by line into a reused byte buffer.
final class GzipLineReader {
  /// The file being read, for error messages.
  let path: String
  /// The current line's bytes without its `\n` or `\r\n` terminator.
  private(set) var line: [UInt8] = []
  /// 1-based number of the current line.
  private(set) var lineNumber = 0

  private let file: gzFile
  private var chunk = [UInt8](repeating: 0, count: 1 << 20)
  private var start = 0
  private var end = 0
  private var atEnd = false

  /// Opens `path`; throws a `KaggleCSVError` if it cannot be opened.
  init(path: String) throws {
    self.path = path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
      throw KaggleCSVError(path: path, line: nil, message: "no such file")
    }
    guard let opened = gzopen(path, "rb") else {
      throw KaggleCSVError(path: path, line: nil, message: "cannot open: \(String(cString: strerror(errno)))")
    }
    file = opened
    gzbuffer(file, 1 << 18)
  }

  deinit { gzclose(file) }

  /// Reads the next line into `line`; returns false at the end of the file.
  func next() throws -> Bool {
    line.removeAll(keepingCapacity: true)
    var sawAny = false
    while true {
      if start == end {
        if atEnd { break }
        try refill()
        continue
      }
      sawAny = true
      let newline: Int? = chunk.withUnsafeBufferPointer { p -> Int? in
        guard let hit = memchr(p.baseAddress! + start, 10, end - start) else { return nil }
        return UnsafeRawPointer(hit) - UnsafeRawPointer(p.baseAddress!)
      }
      if let newline {
        line.append(contentsOf: chunk[start..<newline])
        start = newline + 1
        break
      }
      line.append(contentsOf: chunk[start..<end])
      start = end
    }
    guard sawAny else { return false }
    if line.last == 13 { line.removeLast() }
    lineNumber += 1
    return true
  }

  private func refill() throws {
    let got = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
    if got < 0 {
      var code: Int32 = 0
      let message = gzerror(file, &code).map { String(cString: $0) } ?? "read error"
      throw KaggleCSVError(path: path, line: lineNumber + 1, message: "cannot read: \(message)")
    }
    if got == 0 {
      // gzread returns 0 both at a clean end and for a truncated stream; gzerror tells them apart.
      var code: Int32 = 0
      let message = gzerror(file, &code).map { String(cString: $0) } ?? ""
      if code != Z_OK && code != Z_STREAM_END {
        throw KaggleCSVError(path: path, line: lineNumber + 1, message: "cannot read: \(message)")
      }
      atEnd = true
    }
    start = 0
    end = Int(got)
  }
}

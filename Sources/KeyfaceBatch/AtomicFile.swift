import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writing a whole file or nothing: a temporary name in the same folder, then rename(2).
public enum AtomicFile {
  /// Writes `data` to `path` atomically.
  /// - Throws: `BatchError` naming the file.
  public static func write(_ data: Data, to path: String) throws {
    let folder = (path as NSString).deletingLastPathComponent
    let name = (path as NSString).lastPathComponent
    let temporary = (folder.isEmpty ? "." : folder) + "/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    do {
      try data.write(to: URL(fileURLWithPath: temporary))
    } catch {
      unlink(temporary)
      throw BatchError("\(path): cannot write: \(OutputLayout.reason(error))")
    }
    guard rename(temporary, path) == 0 else {
      let message = BatchError.errnoMessage()
      unlink(temporary)
      throw BatchError("\(path): cannot write: \(message)")
    }
  }
}

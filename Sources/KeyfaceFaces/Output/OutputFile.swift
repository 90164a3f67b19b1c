// A text output that is either standard output (streamed as written) or a file written under a temporary
// name in the same folder and renamed into place on `commit()`, so a file under the final name is always
// whole. Existing devices and pipes (/dev/null, a FIFO) are written in place. Writes go straight to the file descriptor with write(2): each line reaches the reader at once.
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A destination for text lines: standard output, or a file made atomically.
public final class OutputFile {
  /// The path as given; "-" is standard output.
  public let path: String
  /// True when writing to standard output.
  public var isStandardOutput: Bool { path == "-" }

  private var fd: Int32
  private let temporaryPath: String?
  private var ownsDescriptor = false
  private var closed = false

  /// Opens `path` for writing ("-" is standard output); a file goes to a temporary name until `commit()`.
  ///
  /// - Throws: `OutputError` naming the file when it cannot be created.
  public init(path: String) throws {
    self.path = path
    if path == "-" {
      fd = STDOUT_FILENO
      temporaryPath = nil
      return
    }
    // Devices, pipes and sockets (/dev/null, a FIFO, /dev/stdout) are written in place: renaming a temporary
    // over them would replace the device with a plain file.
    var info = stat()
    if stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG && (info.st_mode & S_IFMT) != S_IFDIR {
      let descriptor = open(path, O_WRONLY | O_CLOEXEC)
      guard descriptor >= 0 else {
        throw OutputError(path: path, message: "cannot open (\(String(cString: strerror(errno))))")
      }
      fd = descriptor
      temporaryPath = nil
      ownsDescriptor = true
      return
    }
    let temp = OutputFile.temporaryName(for: path)
    let descriptor = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw OutputError(path: path, message: "cannot create file (\(String(cString: strerror(errno))))")
    }
    fd = descriptor
    temporaryPath = temp
    ownsDescriptor = true
  }

  deinit {
    if !closed { discard() }
  }

  /// Writes all of `bytes`, retrying interrupted and partial writes.
  public func write(_ bytes: [UInt8]) throws {
    guard !closed else { throw OutputError(path: path, message: "write after close") }
    try bytes.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 {
          if errno == EINTR || errno == EAGAIN { continue }
          throw OutputError(path: path, message: "cannot write (\(String(cString: strerror(errno))))")
        }
        offset += n
      }
    }
  }

  /// Finishes the output: a file is closed and renamed to its final name.
  public func commit() throws {
    guard !closed else { return }
    closed = true
    guard let temporaryPath else {
      if ownsDescriptor { close(fd) }
      return
    }
    if close(fd) != 0 {
      unlink(temporaryPath)
      throw OutputError(path: path, message: "cannot write (\(String(cString: strerror(errno))))")
    }
    if rename(temporaryPath, path) != 0 {
      let message = String(cString: strerror(errno))
      unlink(temporaryPath)
      throw OutputError(path: path, message: "cannot rename into place (\(message))")
    }
  }

  /// Abandons the output: a file's temporary is deleted and nothing appears under its name.
  public func discard() {
    guard !closed else { return }
    closed = true
    guard let temporaryPath else {
      if ownsDescriptor { close(fd) }
      return
    }
    close(fd)
    unlink(temporaryPath)
  }

  /// A hidden name in the same folder as `path`, unique to this process and call.
  static func temporaryName(for path: String) -> String {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent().path
    let name = url.lastPathComponent
    let n = counter.withLock { value -> Int in
      value += 1
      return value
    }
    return folder + "/." + name + ".keyface-\(getpid())-\(n).tmp"
  }

  private static let counter = LockedValue(0)
}

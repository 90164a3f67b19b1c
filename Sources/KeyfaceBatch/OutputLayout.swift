// Maps clips to output paths inside one output folder, and makes sure nothing is ever written outside it:
// relative paths with '..', '.', empty or absolute components are refused, and every folder created on the way is
// resolved (symbolic links included) and checked to lie inside the resolved output folder.
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The output folder of a batch.
public struct OutputLayout: Sendable {
  /// The output folder, resolved: absolute, no symbolic links.
  public let directory: String

  /// Uses (and creates if needed) the folder `path`.
  /// - Throws: `BatchError` when it cannot be created or is not a folder.
  public init(directory path: String) throws {
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw BatchError("\(path): cannot create the output folder: \(OutputLayout.reason(error))")
    }
    guard let resolved = OutputLayout.realPath(path) else {
      throw BatchError("\(path): cannot resolve the output folder: \(BatchError.errnoMessage())")
    }
    var info = stat()
    guard stat(resolved, &info) == 0, FileKey.isDirectory(info) else {
      throw BatchError("\(path): the output path is not a folder")
    }
    directory = resolved
  }

  /// The path of one output of the clip with this relative path, e.g. `/out/a/b.mp4.jsonl`.
  /// - Throws: `BatchError` when the relative path is empty, absolute, or has an empty, `.` or `..` component.
  public func path(for relativePath: String, kind: OutputKind) throws -> String {
    try OutputLayout.checkRelative(relativePath)
    return directory + "/" + relativePath + kind.suffix
  }

  /// The path of a file directly in the output folder, e.g. `summary.json`.
  public func path(named name: String) throws -> String {
    guard !name.contains("/") else { throw BatchError("\(name): not a plain file name") }
    try OutputLayout.checkRelative(name)
    return directory + "/" + name
  }

  /// Refuses relative paths that could point anywhere but below the output folder.
  public static func checkRelative(_ relativePath: String) throws {
    guard !relativePath.isEmpty, !relativePath.hasPrefix("/"), !relativePath.utf8.contains(0) else {
      throw BatchError("'\(relativePath)': not a relative path")
    }
    for component in relativePath.split(separator: "/", omittingEmptySubsequences: false) {
      if component.isEmpty || component == "." || component == ".." {
        throw BatchError("'\(relativePath)': output names may not have '.', '..' or empty components")
      }
    }
  }

  /// Creates the folders leading to `path` (which must be one this layout made) and checks that the folder it lands
  /// in, once every symbolic link is resolved, is the output folder or below it.
  /// - Throws: `BatchError` naming the path when a folder cannot be made or escapes the output folder.
  public func prepareParent(of path: String) throws {
    guard path.hasPrefix(directory + "/") else { throw BatchError("\(path): outside the output folder \(directory)") }
    let relativeParent = (String(path.dropFirst(directory.count + 1)) as NSString).deletingLastPathComponent
    try OutputLayout.checkRelative(relativeParent.isEmpty ? "x" : relativeParent)
    // One folder at a time, each resolved before anything is made inside it: a link to elsewhere is refused
    // before a folder could be created at its far end.
    var current = directory
    for component in relativeParent.split(separator: "/") {
      current += "/" + component
      if mkdir(current, 0o777) != 0 && errno != EEXIST {
        throw BatchError("\(current): cannot create folder: \(BatchError.errnoMessage())")
      }
      guard let resolved = OutputLayout.realPath(current), contains(resolved: resolved) else {
        throw BatchError("\(path): leads outside the output folder \(directory) through a symbolic link")
      }
      var info = stat()
      guard stat(resolved, &info) == 0, FileKey.isDirectory(info) else {
        throw BatchError("\(current): not a folder")
      }
    }
  }

  /// True when the output exists as a regular file (not a link): finished outputs appear only by rename.
  public func isComplete(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && FileKey.isRegular(info)
  }

  func contains(resolved: String) -> Bool {
    resolved == directory || resolved.hasPrefix(directory == "/" ? "/" : directory + "/")
  }

  static func realPath(_ path: String) -> String? {
    guard let pointer = realpath(path, nil) else { return nil }
    defer { free(pointer) }
    return String(cString: pointer)
  }

  static func reason(_ error: Error) -> String {
    if let error = error as? CocoaError, let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError,
      underlying.domain == NSPOSIXErrorDomain
    {
      return BatchError.errnoMessage(Int32(underlying.code))
    }
    return error.localizedDescription
  }
}

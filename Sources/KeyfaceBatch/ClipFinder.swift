// Finds the clips of a batch: walks each folder recursively (following symbolic links, with a guard against loops),
// skips hidden names, keeps files by extension and by --include/--exclude patterns on the relative path.
// It only reads names and metadata; whether FFmpeg can open a file is the child process's business.
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Walks folders for video clips.
public struct ClipFinder: Sendable {
  /// The extensions taken by default, lower case without the dot.
  public static let defaultExtensions = [
    "mp4", "mov", "mkv", "avi", "webm", "m4v", "mpg", "mpeg", "ts", "wmv", "flv", "3gp",
  ]

  /// Extensions of the files taken, lower case without the dot, e.g. `["mp4", "mov"]`; compared case-insensitively.
  public var extensions: Set<String>
  /// fnmatch(3) patterns on the relative path; when not empty a clip must match one. `*` also matches `/`.
  public var include: [String]
  /// fnmatch(3) patterns on the relative path; a clip matching one is left out.
  public var exclude: [String]
  /// Folders never entered, e.g. the output folder when it sits inside a folder being walked.
  public var skippedDirectories: [String]

  /// Creates a finder.
  public init(
    extensions: [String] = ClipFinder.defaultExtensions, include: [String] = [], exclude: [String] = [],
    skippedDirectories: [String] = []
  ) {
    self.extensions = Set(extensions.map(ClipFinder.normalizedExtension).filter { !$0.isEmpty })
    self.include = include
    self.exclude = exclude
    self.skippedDirectories = skippedDirectories
  }

  /// Parses a comma-separated extension list such as `mp4,.MOV, mkv`.
  public static func parseExtensions(_ list: String) -> [String] {
    list.split(separator: ",").map { normalizedExtension(String($0)) }.filter { !$0.isEmpty }
  }

  static func normalizedExtension(_ text: String) -> String {
    var ext = text.trimmingCharacters(in: .whitespaces).lowercased()
    while ext.hasPrefix(".") { ext.removeFirst() }
    return ext
  }

  /// Walks `roots` and returns their clips.
  ///
  /// A root that is a file is taken as a clip named by its last component, whatever its extension.
  /// - Throws: `BatchError` when a root does not exist, or when two clips would share an output name
  ///   (the same relative path under two roots).
  public func find(in roots: [String]) throws -> ClipDiscovery {
    var walk = Walk(finder: self)
    for directory in skippedDirectories {
      if let key = FileKey(path: directory) { walk.skipped.insert(key) }
    }
    for rawRoot in roots {
      let root = ClipFinder.trimmingTrailingSlashes(rawRoot)
      var info = stat()
      guard stat(root, &info) == 0 else {
        throw BatchError("\(rawRoot): \(BatchError.errnoMessage().lowercased())")
      }
      if FileKey.isDirectory(info) {
        walk.visit(directory: root, relative: "", key: FileKey(info), viaLink: false)
      } else {
        let name = (root as NSString).lastPathComponent
        walk.add(Clip(source: root, relativePath: name, size: Int64(info.st_size)))
      }
    }
    var owners: [String: String] = [:]
    for clip in walk.clips {
      if let other = owners[clip.relativePath] {
        throw BatchError(
          "\(other) and \(clip.source) have the same relative path '\(clip.relativePath)' and would share outputs; "
            + "give their folders in separate batches with separate --out folders")
      }
      owners[clip.relativePath] = clip.source
    }
    let clips = walk.clips.sorted { Array($0.relativePath.utf8).lexicographicallyPrecedes($1.relativePath.utf8) }
    return ClipDiscovery(clips: clips, warnings: walk.warnings)
  }

  /// True when a file with this relative path is taken: its extension is listed and the patterns allow it.
  public func accepts(relativePath: String) -> Bool {
    let name = (relativePath as NSString).lastPathComponent
    guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
    let ext = name[name.index(after: dot)...].lowercased()
    guard extensions.contains(ext) else { return false }
    if !include.isEmpty && !include.contains(where: { ClipFinder.matches($0, relativePath) }) { return false }
    return !exclude.contains(where: { ClipFinder.matches($0, relativePath) })
  }

  /// fnmatch(3) with no flags: `*` and `?` match any character including `/` and a leading dot.
  public static func matches(_ pattern: String, _ path: String) -> Bool {
    fnmatch(pattern, path, 0) == 0
  }

  static func trimmingTrailingSlashes(_ path: String) -> String {
    var path = path
    while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
    return path
  }
}

/// A file's identity: device and inode.
struct FileKey: Hashable {
  var device: UInt64
  var inode: UInt64

  init(_ info: stat) {
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
  }

  init?(path: String) {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    self.init(info)
  }

  static func isDirectory(_ info: stat) -> Bool { (info.st_mode & S_IFMT) == S_IFDIR }
  static func isRegular(_ info: stat) -> Bool { (info.st_mode & S_IFMT) == S_IFREG }
}

/// The state of one walk: folders entered (by device and inode, so a link back up the tree is cut), clips, warnings.
private struct Walk {
  let finder: ClipFinder
  var visited: Set<FileKey> = []
  var skipped: Set<FileKey> = []
  var clips: [Clip] = []
  var warnings: [String] = []

  init(finder: ClipFinder) { self.finder = finder }

  mutating func add(_ clip: Clip) { clips.append(clip) }

  mutating func visit(directory: String, relative: String, key: FileKey, viaLink: Bool) {
    if skipped.contains(key) { return }
    guard visited.insert(key).inserted else {
      if viaLink { warnings.append("\(directory): symbolic link loop, not followed") }
      return
    }
    guard let names = Walk.names(in: directory, warnings: &warnings) else { return }
    for name in names where !name.hasPrefix(".") {
      let path = directory == "/" ? "/" + name : directory + "/" + name
      let rel = relative.isEmpty ? name : relative + "/" + name
      var link = stat()
      guard lstat(path, &link) == 0 else { continue }  // vanished since listed
      let isLink = (link.st_mode & S_IFMT) == S_IFLNK
      var info = stat()
      if stat(path, &info) != 0 {
        // A dangling link named like a clip is reported through the summary: the child names the problem.
        if isLink && finder.accepts(relativePath: rel) { clips.append(Clip(source: path, relativePath: rel)) }
        continue
      }
      if FileKey.isDirectory(info) {
        visit(directory: path, relative: rel, key: FileKey(info), viaLink: isLink)
      } else if finder.accepts(relativePath: rel) {
        if FileKey.isRegular(info) {
          clips.append(Clip(source: path, relativePath: rel, size: Int64(info.st_size)))
        } else {
          warnings.append("\(path): not a regular file, skipped")
        }
      }
    }
  }

  /// The entry names of a folder, in no particular order; nil (with a warning) when it cannot be read.
  static func names(in directory: String, warnings: inout [String]) -> [String]? {
    guard let handle = opendir(directory) else {
      warnings.append("\(directory): cannot read folder: \(BatchError.errnoMessage())")
      return nil
    }
    defer { closedir(handle) }
    var names: [String] = []
    while let entry = readdir(handle) {
      let name: String? = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
        tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) {
          String(validatingCString: $0)
        }
      }
      guard let name else {
        warnings.append("\(directory): a file name that is not UTF-8 was skipped")
        continue
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }
}

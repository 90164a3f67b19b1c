import ArgumentParser
import Foundation

/// Outputs written under a temporary name and renamed over their destination: renaming over a device, pipe or
/// folder would replace it (as root, /dev/null itself), so such destinations are refused before any work starts.
enum ReplaceableFile {
  /// Throws a usage error naming `option` when `path` exists and is not a regular file (symbolic links are
  /// followed: a link to a regular file is fine).
  static func check(_ path: String, option: String) throws {
    var info = stat()
    guard stat(path, &info) == 0 else { return }  // absent: it will be created
    if (info.st_mode & S_IFMT) != S_IFREG {
      throw ValidationError("\(option) \(path): not a regular file; give the name of a file to create or replace.")
    }
  }
}

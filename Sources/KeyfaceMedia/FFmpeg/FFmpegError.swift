// The one place where FFmpeg return codes become Swift errors.
//
// Wrappers of C objects (Demuxer, Decoder, ...) throw `FFmpegError`, which knows the operation and the
// code but not the file; the public types (VideoReader, VideoWriter, ImageFile) turn it into a `MediaError`
// naming the file. EAGAIN and EOF are loop control, so calls that can return them give back a `Status`.

import CFFmpeg

/// An FFmpeg call that failed: what we were doing and FFmpeg's code.
struct FFmpegError: Error, CustomStringConvertible {
  /// What we were doing, e.g. "cannot open".
  let operation: String
  /// The negative AVERROR code, or 0 for failures without one (a null allocation).
  let code: Int32

  /// `"<operation> (<av_strerror text>)"`.
  var description: String { code == 0 ? operation : "\(operation) (\(FFmpegError.text(code)))" }

  static func text(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    if av_strerror(code, &buffer, buffer.count) < 0 { return "error \(code)" }
    return String(cString: buffer)
  }

  static let again = swift_AVERROR_EAGAIN()
  static let endOfFile = swift_AVERROR_EOF()
  static let invalidData = swift_AVERROR_INVALIDDATA()
}

/// The outcome of a send/receive/read call that can ask for more input or report the end.
enum Status {
  /// The call did its work.
  case ok
  /// EAGAIN: feed more input (or drain output) first.
  case again
  /// AVERROR_EOF: nothing more will come.
  case endOfFile
}

/// Throws `FFmpegError` for a negative code; returns the code otherwise.
@discardableResult
func check(_ code: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
  if code < 0 { throw FFmpegError(operation: operation(), code: code) }
  return code
}

/// `check` for calls where EAGAIN and EOF are loop control.
func status(_ code: Int32, _ operation: @autoclosure () -> String) throws -> Status {
  if code == FFmpegError.again { return .again }
  if code == FFmpegError.endOfFile { return .endOfFile }
  try check(code, operation())
  return .ok
}

/// Runs `body`, turning an `FFmpegError` into a `MediaError` about `path`.
func naming<T>(_ path: String, _ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let error as FFmpegError {
    throw MediaError(path: path, message: error.description)
  }
}

/// FFmpeg logs to stderr by default; errors reach the user through MediaError and warnings through
/// `onWarning`, so its own log is silenced once per process.
let quietFFmpegLog: Void = { av_log_set_level(AV_LOG_QUIET) }()

// Runs one clip in a child process of the keyface binary: `keyface run --jsonl T [--csv T] [--video T.mp4]
// --threads N [extra options] -- CLIP`. A crash or hang in FFmpeg on a damaged file then costs one clip, not the
// batch, and each child's memory goes back to the system when it exits.
// The child gets its own process group (a terminal's Ctrl-C reaches only the batch, which forwards it), standard
// input and output on /dev/null, standard error in a log file, and default signal dispositions.
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs clips through `keyface run` in child processes, with a watchdog.
public struct ProcessClipRunner: ClipRunner {
  /// The keyface binary, e.g. `/usr/local/bin/keyface`.
  public var executable: String
  /// Options passed to every `keyface run` before the clip, e.g. `["--model", "m.safetensors"]`.
  public var extraArguments: [String]
  /// How often the child is checked, in seconds.
  public var pollInterval: TimeInterval = 0.02

  /// Creates a runner.
  public init(executable: String, extraArguments: [String] = []) {
    self.executable = executable
    self.extraArguments = extraArguments
  }

  /// The arguments after the program name for `job`.
  public func arguments(for job: ClipJob) -> [String] {
    var arguments = ["run"]
    for kind in OutputKind.allCases {
      guard let path = job.outputs[kind] else { continue }
      arguments += ["--\(kind.rawValue)", path]
    }
    arguments += ["--threads", String(job.threads)]
    arguments += extraArguments
    // After `--` the clip is never read as an option, whatever its name.
    arguments += ["--", job.clip.source]
    return arguments
  }

  /// Spawns the child, waits for it, kills it on timeout or forced stop, and reads its reason on failure.
  public func run(_ job: ClipJob, stop: StopSignal) -> ClipRunOutcome {
    let pid: pid_t
    do {
      pid = try spawn([executable] + arguments(for: job), logPath: job.logPath)
    } catch {
      return .failed("\(error)")
    }
    let started = Date()
    var sentInterrupt = false
    var sentKill = false
    var timedOut = false
    var status: Int32 = 0
    while true {
      let result = waitpid(pid, &status, WNOHANG)
      if result == pid { break }
      if result == -1 && errno != EINTR {
        return .failed("lost track of the keyface run process: \(BatchError.errnoMessage())")
      }
      let level = stop.level
      if level >= .interrupt && !sentInterrupt {
        sentInterrupt = true
        kill(-pid, SIGINT)
      }
      if !sentKill {
        if level == .kill {
          sentKill = true
          kill(-pid, SIGKILL)
        } else if let timeout = job.timeout, Date().timeIntervalSince(started) > timeout {
          timedOut = true
          sentKill = true
          kill(-pid, SIGKILL)
        }
      }
      usleep(useconds_t(pollInterval * 1_000_000))
    }
    // Grandchildren (none expected) must not outlive the clip.
    if sentKill { kill(-pid, SIGKILL) }
    let termination = status & 0x7f
    if timedOut { return .timedOut(job.timeout ?? 0) }
    if termination == 0 {
      let code = (status >> 8) & 0xff
      if code == 0 { return .succeeded }
      if sentInterrupt { return .interrupted }
      return .failed(ProcessClipRunner.reason(logPath: job.logPath, clip: job.clip, code: code))
    }
    if sentInterrupt { return .interrupted }
    return .crashed(signal: termination)
  }

  /// The child's one-line reason: the last line of its standard error, without the `keyface: <file>: ` prefix.
  static func reason(logPath: String, clip: Clip, code: Int32) -> String {
    let lines = tail(of: logPath).split(whereSeparator: { $0 == "\n" || $0 == "\r" })
      .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    // keyface's own one-line errors first, then the argument parser's ("Error: ..." before its usage lines).
    let preferred =
      lines.last(where: { $0.hasPrefix("keyface:") }) ?? lines.last(where: { $0.hasPrefix("Error:") }) ?? lines.last
    guard var line = preferred else { return "keyface run exited with status \(code) and no message" }
    for prefix in ["keyface: \(clip.source): ", "keyface: "] where line.hasPrefix(prefix) {
      line.removeFirst(prefix.count)
      break
    }
    if line.hasPrefix("Error: ") { line.removeFirst("Error: ".count) }
    return line.count > 300 ? String(line.prefix(300)) + "…" : line
  }

  /// The last few kilobytes of a file as text; FFmpeg can log a lot on a damaged clip.
  static func tail(of path: String, bytes: Int = 4096) -> String {
    guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
    defer { try? handle.close() }
    let size = (try? handle.seekToEnd()) ?? 0
    try? handle.seek(toOffset: size > UInt64(bytes) ? size - UInt64(bytes) : 0)
    let data = (try? handle.readToEnd()) ?? Data()
    return String(decoding: data, as: UTF8.self)
  }

  private func spawn(_ argv: [String], logPath: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    // The batch ignores SIGINT/SIGTERM to handle them itself; the child must not inherit that.
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    var mask = sigset_t()
    sigemptyset(&mask)
    posix_spawnattr_setsigmask(&attributes, &mask)
    posix_spawnattr_setpgroup(&attributes, 0)
    let flags = Int32(POSIX_SPAWN_SETPGROUP) | Int32(POSIX_SPAWN_SETSIGDEF) | Int32(POSIX_SPAWN_SETSIGMASK)
    posix_spawnattr_setflags(&attributes, Int16(flags))

    var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { for pointer in cArguments { free(pointer) } }
    var pid: pid_t = 0
    let code = posix_spawn(&pid, executable, &actions, &attributes, &cArguments, environ)
    guard code == 0 else {
      throw BatchError("cannot start \(executable): \(BatchError.errnoMessage(code))")
    }
    return pid
  }
}

// Runs a batch: finds the clips, takes this shard's share, skips the ones done (--resume), runs the rest a few at a
// time through a ClipRunner, renames each clip's temporary outputs to their final names only when it succeeded,
// and writes the summary. Temporary files live in one hidden work folder inside the output folder (same file system,
// so the renames are atomic), removed at the end whatever happened.
// Not here: argument parsing, the terminal (ProgressLine), signals (InterruptTrap).
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs a folder of clips.
public final class BatchProcessor: @unchecked Sendable {
  /// The configuration.
  public let configuration: BatchConfiguration
  /// Called after each clip that ran, with the progress so far and its result, from the worker threads one at a
  /// time.
  public var onProgress: (@Sendable (BatchProgress, ClipResult) -> Void)?
  /// Called once with the number of clips to run, before the first starts.
  public var onStart: (@Sendable (BatchProgress) -> Void)?

  private let runner: ClipRunner
  private let stop: StopSignal

  /// Creates a batch that runs clips with `runner` and stops when `stop` is raised.
  public init(configuration: BatchConfiguration, runner: ClipRunner, stop: StopSignal = StopSignal()) {
    self.configuration = configuration
    self.runner = runner
    self.stop = stop
  }

  /// Runs the batch and writes the summary file.
  /// - Returns: the summary, also written to `OUTDIR/summary.json` (or its shard's name).
  /// - Throws: `BatchError` before any clip runs (missing folder, colliding names, unusable output folder), or when
  ///   the summary cannot be written.
  public func run() throws -> BatchSummary {
    let started = Date()
    let layout = try OutputLayout(directory: configuration.outputDirectory)
    var finder = configuration.finder
    finder.skippedDirectories.append(layout.directory)
    let discovery = try finder.find(in: configuration.roots)
    let clips = discovery.clips.filter { configuration.shard.contains($0.relativePath) }
    let summaryPath = try layout.path(named: BatchSummary.fileName(for: configuration.shard))
    let previous = configuration.resume ? BatchProcessor.previousResults(at: summaryPath) : [:]

    var results: [ClipResult] = []
    var pending: [(clip: Clip, finals: [OutputKind: String])] = []
    for clip in clips {
      do {
        var finals: [OutputKind: String] = [:]
        for kind in configuration.outputs { finals[kind] = try layout.path(for: clip.relativePath, kind: kind) }
        if configuration.resume && finals.values.allSatisfy(layout.isComplete) {
          let before = previous[clip.relativePath]
          results.append(
            ClipResult(
              source: clip.source, relativePath: clip.relativePath, status: .skipped, frames: before?.frames,
              faces: before?.faces, error: "already done"))
        } else {
          pending.append((clip, finals))
        }
      } catch {
        results.append(failed(clip, "\(error)", seconds: nil))
      }
    }
    // Longest first (by size), so one long clip does not run alone at the end.
    pending.sort { $0.clip.size > $1.clip.size }

    BatchProcessor.removeStaleWorkFolders(in: layout.directory)
    let unique = "\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    let workFolder = layout.directory + "/" + BatchProcessor.workFolderPrefix + unique
    guard mkdir(workFolder, 0o700) == 0 else {
      throw BatchError("\(workFolder): cannot create the work folder: \(BatchError.errnoMessage())")
    }
    defer { try? FileManager.default.removeItem(atPath: workFolder) }

    let queue = pending
    let state = WorkState(
      count: pending.count,
      progress: BatchProgress(
        done: 0, total: pending.count, failed: 0, frames: 0, bytesDone: 0,
        bytesTotal: pending.reduce(0) { $0 + $1.clip.size }))
    onStart?(state.progress)
    let group = DispatchGroup()
    for _ in 0..<min(configuration.jobs, pending.count) {
      group.enter()
      let thread = Thread { [self] in
        defer { group.leave() }
        while stop.level == .none, let index = state.take() {
          let (clip, finals) = queue[index]
          let result = process(clip, finals: finals, layout: layout, work: workFolder + "/\(index)")
          state.finish(index, result, size: clip.size, report: onProgress)
        }
      }
      thread.stackSize = 1 << 20
      thread.start()
    }
    group.wait()
    let finished = state.results

    for (index, item) in pending.enumerated() {
      results.append(
        finished[index]
          ?? ClipResult(
            source: item.clip.source, relativePath: item.clip.relativePath, status: .skipped,
            error: "not started: the batch was interrupted"))
    }
    let summary = BatchSummary(
      clips: results, seconds: Date().timeIntervalSince(started), shard: configuration.shard,
      jobs: configuration.jobs, threadsPerJob: configuration.threadsPerJob, interrupted: stop.level != .none,
      warnings: discovery.warnings)
    try summary.write(to: summaryPath)
    return summary
  }

  /// Runs one clip into its own work folder and moves its outputs into place when it succeeded.
  private func process(_ clip: Clip, finals: [OutputKind: String], layout: OutputLayout, work: String) -> ClipResult {
    let started = Date()
    func elapsed() -> Double { Date().timeIntervalSince(started) }
    guard mkdir(work, 0o700) == 0 else {
      return failed(clip, "\(work): cannot create: \(BatchError.errnoMessage())", seconds: nil)
    }
    defer { try? FileManager.default.removeItem(atPath: work) }
    var temporaries: [OutputKind: String] = [:]
    for kind in finals.keys { temporaries[kind] = work + "/" + kind.temporaryName }
    let job = ClipJob(
      clip: clip, outputs: temporaries, threads: configuration.threadsPerJob,
      timeout: configuration.timeout.limit(for: clip), logPath: work + "/stderr.log")

    switch runner.run(job, stop: stop) {
    case .succeeded:
      break
    case .failed(let reason):
      return failed(clip, reason, seconds: elapsed())
    case .crashed(let signal):
      let name = BatchProcessor.signalName(signal)
      return failed(clip, "keyface run crashed (signal \(signal)\(name))", seconds: elapsed())
    case .timedOut(let limit):
      return failed(clip, "timed out after \(Int(limit.rounded())) s", seconds: elapsed())
    case .interrupted:
      return ClipResult(
        source: clip.source, relativePath: clip.relativePath, status: .skipped, seconds: elapsed(),
        error: "interrupted")
    }

    let count: FrameCount
    do {
      for (kind, path) in temporaries where !layout.isComplete(path) {
        throw BatchError("keyface run succeeded but wrote no \(kind.rawValue) output")
      }
      count = try FrameCount(jsonLinesAt: temporaries[.jsonl]!)
    } catch {
      return failed(clip, "\(error)", seconds: elapsed())
    }
    // The JSON Lines file goes last: with it present, the clip counts as started-and-finished to a reader.
    let order = finals.keys.sorted { $0 == .jsonl ? false : ($1 == .jsonl ? true : $0.rawValue < $1.rawValue) }
    var moved: [String] = []
    for kind in order {
      let final = finals[kind]!
      do {
        try layout.prepareParent(of: final)
        guard rename(temporaries[kind]!, final) == 0 else {
          throw BatchError("\(final): cannot write: \(BatchError.errnoMessage())")
        }
        moved.append(final)
      } catch {
        for path in moved { unlink(path) }
        return failed(clip, "\(error)", seconds: elapsed())
      }
    }
    return ClipResult(
      source: clip.source, relativePath: clip.relativePath, status: .ok, frames: count.frames, faces: count.faces,
      seconds: elapsed())
  }

  private func failed(_ clip: Clip, _ reason: String, seconds: Double?) -> ClipResult {
    ClipResult(source: clip.source, relativePath: clip.relativePath, status: .failed, seconds: seconds, error: reason)
  }

  /// The ok results of an earlier run of the same batch, by relative path, to fill in the frames of resumed clips.
  static func previousResults(at path: String) -> [String: ClipResult] {
    guard let data = FileManager.default.contents(atPath: path),
      let summary = try? JSONDecoder().decode(BatchSummary.self, from: data)
    else { return [:] }
    var results: [String: ClipResult] = [:]
    for result in summary.clips where result.status == .ok || result.frames != nil {
      results[result.relativePath] = result
    }
    return results
  }

  /// `.keyface-batch-<host>-`: work folders are named after the host and process, so that batches of several
  /// machines sharing one output folder never touch each other's.
  static var workFolderPrefix: String {
    let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
    return ".keyface-batch-\(host)-"
  }

  /// Removes the work folders left by batches of this host that were killed (their process is gone).
  static func removeStaleWorkFolders(in directory: String) {
    let prefix = workFolderPrefix
    for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix(prefix) {
      guard let pid = Int32(name.dropFirst(prefix.count).split(separator: "-").first ?? "") else { continue }
      if kill(pid, 0) == -1 && errno == ESRCH {
        try? FileManager.default.removeItem(atPath: directory + "/" + name)
      }
    }
  }

  static func signalName(_ signal: Int32) -> String {
    switch signal {
    case SIGSEGV: return ", SIGSEGV"
    case SIGABRT: return ", SIGABRT"
    case SIGBUS: return ", SIGBUS"
    case SIGILL: return ", SIGILL"
    case SIGFPE: return ", SIGFPE"
    case SIGKILL: return ", SIGKILL"
    case SIGTERM: return ", SIGTERM"
    case SIGINT: return ", SIGINT"
    case SIGTRAP: return ", SIGTRAP"
    default: return ""
    }
  }
}

/// The queue of clips and their results, shared by the worker threads.
private final class WorkState: @unchecked Sendable {
  private let lock = NSLock()
  private var next = 0
  private let count: Int
  private(set) var results: [ClipResult?]
  private(set) var progress: BatchProgress

  init(count: Int, progress: BatchProgress) {
    self.count = count
    self.results = Array(repeating: nil, count: count)
    self.progress = progress
  }

  /// The next clip to run, or nil when all have been taken.
  func take() -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard next < count else { return nil }
    next += 1
    return next - 1
  }

  /// Records a result and reports progress (under the lock, so reports arrive one at a time and in order).
  func finish(_ index: Int, _ result: ClipResult, size: Int64, report: ((BatchProgress, ClipResult) -> Void)?) {
    lock.lock()
    defer { lock.unlock() }
    results[index] = result
    guard result.status != .skipped else { return }
    progress.done += 1
    progress.failed += result.status == .failed ? 1 : 0
    progress.frames += result.frames ?? 0
    progress.bytesDone += size
    report?(progress, result)
  }
}

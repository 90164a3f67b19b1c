import ArgumentParser
import Foundation
import KeyfaceBatch

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `keyface batch`: every clip in some folders, a few at a time, each in its own `keyface run` child process.
struct Batch: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "batch",
    abstract: "Process every clip in folders, in parallel, resumable and shardable across machines.",
    discussion: """
      Each clip under DIR is written to OUTDIR/<path relative to DIR>.jsonl (with --csv also .csv, with --video \
      also .annotated.mp4), so clips/a/b.mp4 becomes out/a/b.mp4.jsonl. Folders are walked recursively, \
      following symbolic links (loops are cut); hidden files and folders are skipped. Each clip runs in a child \
      `keyface run` process, so a damaged file costs only that clip; outputs appear under their final names \
      only when complete.

      OUTDIR/summary.json lists every clip with its status (ok, failed, skipped), frames, faces, seconds and \
      error, plus totals; with --shard I/N it is named summary.shard-I-of-N.json.

      --shard I/N takes the clips whose relative path hashes (FNV-1a 64) to I-1 modulo N: N machines given \
      1/N … N/N split a corpus with no coordination, and together write every output exactly once.

      Ctrl-C (or SIGTERM) starts no new clip, asks the running ones to stop, removes their partial outputs and \
      writes the summary of what finished; a second Ctrl-C kills the running clips.

      Other options of `keyface run` are passed one argument at a time with --run-option, e.g. \
      `keyface batch clips --out out --run-option=--detect-every --run-option=15`.

      Exit status: 0 when every clip succeeded (or was skipped by --resume), 2 when some clip failed, \
      1 for a usage error (bad option value, missing folder), 130 when interrupted (143 on SIGTERM).
      """
  )

  @Argument(help: ArgumentHelp("Folders to walk for clips (a file is taken as one clip).", valueName: "DIR"))
  var folders: [String] = []

  @Option(name: .customLong("out"), help: ArgumentHelp("Folder for the outputs and summary.json.", valueName: "OUTDIR"))
  var outputDirectory: String?

  @Option(help: "Clips processed at once (default: one per core, at most 16).")
  var jobs: Int?

  @Option(help: "Threads per clip (default: cores / jobs, at least 1).")
  var threads: Int?

  @Flag(help: "Also write each clip's keypoints as CSV, <clip>.csv.")
  var csv = false

  @Flag(help: "Also write each clip annotated with its keypoints, <clip>.annotated.mp4.")
  var video = false

  @Flag(help: "Skip clips whose outputs all exist already (finished by an earlier batch).")
  var resume = false

  @Option(help: ArgumentHelp("Process only share I of N of the clips, e.g. 2/4 (1-based).", valueName: "I/N"))
  var shard: String?

  @Option(
    help: ArgumentHelp(
      "Take only clips whose relative path matches (fnmatch; * matches / too); repeatable.", valueName: "GLOB"))
  var include: [String] = []

  @Option(help: ArgumentHelp("Leave out clips whose relative path matches (fnmatch); repeatable.", valueName: "GLOB"))
  var exclude: [String] = []

  @Option(help: ArgumentHelp("Comma-separated file extensions taken as clips.", valueName: "LIST"))
  var extensions = ClipFinder.defaultExtensions.joined(separator: ",")

  @Option(
    help: ArgumentHelp(
      "Seconds before a clip is killed and reported as timed out; 0 for no limit "
        + "(default: the larger of 120 s and 60 s per MB of the file).", valueName: "SECONDS"))
  var timeout: Double?

  @Option(help: ArgumentHelp("Model file passed to each `keyface run`.", valueName: "PATH"))
  var model: String?

  @Option(
    name: .customLong("run-option"), parsing: .unconditionalSingleValue,
    help: ArgumentHelp(
      "One more argument for each `keyface run`, e.g. --run-option=--detect-every --run-option=15; repeatable.",
      valueName: "ARG"))
  var runOptions: [String] = []

  // Checked in run(), not validate(): the argument parser also validates while showing --help, and these errors
  // are printed here so that they exit with status 1, as documented, rather than the parser's 64.
  func checkUsage() throws {
    var problems: [String] = []
    if folders.isEmpty { problems.append("give at least one folder of clips") }
    if outputDirectory == nil { problems.append("--out OUTDIR is required") }
    if let jobs, jobs < 1 { problems.append("--jobs must be at least 1, got \(jobs)") }
    if let threads, threads < 1 { problems.append("--threads must be at least 1, got \(threads)") }
    if let shard {
      do { _ = try Shard(parsing: shard) } catch { problems.append("--shard: \(error)") }
    }
    if ClipFinder.parseExtensions(extensions).isEmpty { problems.append("--extensions lists no extension") }
    if let timeout, !(timeout >= 0) || !timeout.isFinite { problems.append("--timeout must be 0 or more seconds") }
    if let model, !FileManager.default.isReadableFile(atPath: model) {
      problems.append("--model \(model): no such readable file")
    }
    if let problem = problems.first { try Batch.usageError(problem) }
  }

  func run() throws {
    try checkUsage()
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let jobs = self.jobs ?? BatchConfiguration.defaultJobs(cores: cores)
    var outputs: Set<OutputKind> = [.jsonl]
    if csv { outputs.insert(.csv) }
    if video { outputs.insert(.video) }
    let configuration = BatchConfiguration(
      roots: folders, outputDirectory: outputDirectory ?? "", outputs: outputs, jobs: jobs,
      threadsPerJob: threads ?? BatchConfiguration.threads(cores: cores, jobs: jobs), resume: resume,
      shard: try shard.map(Shard.init(parsing:)) ?? .all,
      finder: ClipFinder(extensions: ClipFinder.parseExtensions(extensions), include: include, exclude: exclude),
      timeout: timeout.map { $0 == 0 ? .unlimited : .seconds($0) } ?? .automatic)

    var extra: [String] = []
    if let model { extra += ["--model", model] }
    let runner = ProcessClipRunner(executable: Batch.executablePath(), extraArguments: extra + runOptions)
    let stop = StopSignal()
    let processor = BatchProcessor(configuration: configuration, runner: runner, stop: stop)
    let line = ProgressLine.isTerminal() ? ProgressLine() : nil
    if let line {
      processor.onStart = { line.update($0) }
      processor.onProgress = { progress, _ in line.update(progress) }
    } else {
      // Logs (a cluster's, a CI's) get one line per clip instead of a redrawn line.
      processor.onProgress = { progress, result in
        var text = "keyface: [\(progress.done)/\(progress.total)] \(result.status.rawValue) \(result.source)"
        if let frames = result.frames { text += ": \(frames) frames" }
        if let error = result.error { text += ": \(error)" }
        if let seconds = result.seconds { text += String(format: " (%.1f s)", seconds) }
        FileHandle.standardError.write(Data((text + "\n").utf8))
      }
    }
    let trap = InterruptTrap(stop: stop) { _, level in
      let message =
        level == .kill
        ? "keyface: stopping: killing the running clips\n"
        : "keyface: stopping: waiting for the running clips (Ctrl-C again to kill them)\n"
      FileHandle.standardError.write(Data(((line == nil ? "" : "\r\u{1B}[K") + message).utf8))
    }
    let summary: BatchSummary
    do {
      summary = try processor.run()
    } catch {
      line?.finish()
      trap.cancel()
      FileHandle.standardError.write(Data("keyface: \(error)\n".utf8))
      throw ExitCode(1)
    }
    line?.finish()
    trap.cancel()
    for warning in summary.warnings {
      FileHandle.standardError.write(Data("keyface: warning: \(warning)\n".utf8))
    }
    FileHandle.standardError.write(Data((summary.table() + "\n").utf8))
    if summary.interrupted { throw ExitCode(128 + (stop.signal == 0 ? SIGINT : stop.signal)) }
    if summary.totals.failed > 0 { throw ExitCode(2) }
  }

  /// Prints a usage error the way the argument parser does and exits with status 1, as documented.
  static func usageError(_ message: String) throws -> Never {
    let usage = Keyface.usageString(for: Batch.self)
    let text = "Error: \(message)\nUsage: \(usage)\n  See 'keyface batch --help' for more information.\n"
    FileHandle.standardError.write(Data(text.utf8))
    throw ExitCode(1)
  }

  /// This very binary, so children run the same keyface as the batch.
  static func executablePath() -> String {
    if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
    if let path = Bundle.main.executablePath { return path }
    return CommandLine.arguments[0]
  }
}

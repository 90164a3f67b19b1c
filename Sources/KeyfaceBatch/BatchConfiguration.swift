import Foundation

/// Everything a batch needs to know, as given on the command line.
public struct BatchConfiguration: Sendable {
  /// Folders (or single clips) to walk, e.g. `["clips"]`.
  public var roots: [String]
  /// The output folder, e.g. `out`.
  public var outputDirectory: String
  /// Outputs per clip; `.jsonl` is always written.
  public var outputs: Set<OutputKind>
  /// Clips run at once, e.g. 2.
  public var jobs: Int
  /// Threads given to each clip, e.g. 1.
  public var threadsPerJob: Int
  /// Skip clips whose outputs all exist.
  public var resume: Bool
  /// The share of the clips taken.
  public var shard: Shard
  /// Which files are clips.
  public var finder: ClipFinder
  /// When a clip is killed.
  public var timeout: TimeoutPolicy

  /// Creates a configuration; `jobs` and `threadsPerJob` default to what fits this machine.
  public init(
    roots: [String], outputDirectory: String, outputs: Set<OutputKind> = [.jsonl], jobs: Int? = nil,
    threadsPerJob: Int? = nil, resume: Bool = false, shard: Shard = .all, finder: ClipFinder = ClipFinder(),
    timeout: TimeoutPolicy = .automatic
  ) {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    self.roots = roots
    self.outputDirectory = outputDirectory
    self.outputs = outputs.union([.jsonl])
    self.jobs = max(1, jobs ?? BatchConfiguration.defaultJobs(cores: cores))
    self.threadsPerJob = max(1, threadsPerJob ?? BatchConfiguration.threads(cores: cores, jobs: self.jobs))
    self.resume = resume
    self.shard = shard
    self.finder = finder
    self.timeout = timeout
  }

  /// The default number of clips at once: one per core, so each child runs single-threaded (clip-level
  /// parallelism has no serial start-up or hand-off between threads, and measured faster: README, "Batch"),
  /// capped at 16 to bound memory (each child holds a decoder, the network and, with --video, an encoder).
  public static func defaultJobs(cores: Int) -> Int {
    min(max(1, cores), 16)
  }

  /// Threads per child so that all children together use about the machine's cores: `max(1, cores / jobs)`.
  public static func threads(cores: Int, jobs: Int) -> Int {
    max(1, max(1, cores) / max(1, jobs))
  }
}

import Foundation

@testable import KeyfaceBatch

/// A runner that does what each clip file says instead of running keyface:
/// `ok FRAMES FACES`, `fail REASON`, `crash`, `timeout`, `noout`, `badjson`, `wait` (until the batch is stopped),
/// `slow` (sleeps 50 ms, then like `ok 1 0`). Before failing it leaves partial outputs, which the batch must delete.
final class FakeClipRunner: ClipRunner, @unchecked Sendable {
  private let lock = NSLock()
  private(set) var ran: [String] = []
  private(set) var threads: Set<Int> = []
  private(set) var maxConcurrent = 0
  private var running = 0
  /// Called when a clip starts, with its relative path.
  var onStart: ((String) -> Void)?

  func run(_ job: ClipJob, stop: StopSignal) -> ClipRunOutcome {
    lock.lock()
    ran.append(job.clip.relativePath)
    threads.insert(job.threads)
    running += 1
    maxConcurrent = max(maxConcurrent, running)
    let onStart = self.onStart
    lock.unlock()
    onStart?(job.clip.relativePath)
    defer {
      lock.lock()
      running -= 1
      lock.unlock()
    }
    let script = (try? String(contentsOfFile: job.clip.source, encoding: .utf8)) ?? "ok 1 0"
    let words = script.split(separator: " ").map(String.init)
    func writeAll(frames: Int, faces: Int) {
      let face = #"{"id":1,"score":0.9,"box":[0,0,10,10],"keypoints":{}}"#
      let line = #"{"source":"x","frame":0,"faces":["# + Array(repeating: face, count: faces).joined(separator: ",") + "]}\n"
      for (kind, path) in job.outputs {
        let text = kind == .jsonl ? String(repeating: line, count: frames) : "\(kind)"
        try? Data(text.utf8).write(to: URL(fileURLWithPath: path))
      }
    }
    switch words.first ?? "" {
    case "ok":
      writeAll(frames: Int(words[1]) ?? 1, faces: Int(words[2]) ?? 0)
      return .succeeded
    case "slow":
      usleep(50_000)
      writeAll(frames: 1, faces: 0)
      return .succeeded
    case "fail":
      writeAll(frames: 1, faces: 0)
      return .failed(words.dropFirst().joined(separator: " "))
    case "crash":
      writeAll(frames: 1, faces: 0)
      return .crashed(signal: 11)
    case "timeout":
      return .timedOut(job.timeout ?? -1)
    case "noout":
      return .succeeded
    case "badjson":
      for path in job.outputs.values { try? Data("not json\n".utf8).write(to: URL(fileURLWithPath: path)) }
      return .succeeded
    case "wait":
      writeAll(frames: 1, faces: 0)
      while stop.level == .none { usleep(5_000) }
      return .interrupted
    default:
      return .failed("unknown script \(script)")
    }
  }
}

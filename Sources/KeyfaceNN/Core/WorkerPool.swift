// Threads that wait for work by spinning for a moment before they sleep, as onnxruntime's pool does.
//
// A network at batch 1 runs a dozen parallel steps of 10-500 µs each. Handing each to Dispatch wakes a sleeping
// thread every time (tens of microseconds, sometimes far more), so two threads gained only ~1.6x. Here a worker
// that has just finished a part spins on a generation counter for `spinNanoseconds` and usually catches the
// next step at once; after that it sleeps on a semaphore, so an idle process costs no CPU.
//
// Handshake (all sequentially consistent): the caller publishes the job, bumps `generation`, then takes each
// worker's `sleeping` flag; a worker about to sleep sets its flag, then re-reads `generation`. Either the caller
// sees the flag and signals, or the worker sees the new generation and cancels its sleep (consuming the signal if
// the caller had already taken the flag).
import Dispatch
import Foundation
import Synchronization

/// A fixed set of spinning worker threads that run the parts of one job at a time beside the caller.
final class WorkerPool: @unchecked Sendable {
  /// Extra threads beside the caller; parts beyond `workerCount + 1` fall back to Dispatch.
  let workerCount: Int
  private let spinNanoseconds: UInt64
  // The job's sequence number times 256 plus its number of parts: one value, so a worker never mixes two jobs.
  private let state = Atomic<Int>(0)
  private let remaining = Atomic<Int>(0)
  private let busy = Atomic<Bool>(false)
  // Bit i: worker i is asleep (or about to be) on wake[i].
  private let sleepers = Atomic<Int>(0)
  private let wake: [DispatchSemaphore]
  // Written by the caller before `state` changes, read by the job's workers after they see the change; kept
  // until every part has finished.
  private var job: ((Int) -> Void)?

  /// The process-wide pool, one worker fewer than the machine's cores (at least one).
  static let shared = WorkerPool(workers: max(1, ProcessInfo.processInfo.activeProcessorCount - 1))

  init(workers: Int, spinNanoseconds: UInt64 = 100_000) {
    workerCount = min(max(1, workers), 62)
    self.spinNanoseconds = spinNanoseconds
    wake = (0..<workerCount).map { _ in DispatchSemaphore(value: 0) }
    for index in 0..<workerCount {
      let thread = Thread { [unowned self] in self.workerLoop(index) }
      thread.name = "keyface.nn.\(index + 1)"
      thread.qualityOfService = .userInitiated
      thread.start()
    }
  }

  /// Runs `body(part)` for every part in `0..<parts`, part 0 on the calling thread, and returns when all are
  /// done. Returns false without running anything when the pool is busy (another caller, or a nested call) or
  /// `parts` needs more threads than it has.
  func run(parts: Int, _ body: (Int) -> Void) -> Bool {
    guard parts >= 2, parts <= workerCount + 1 else { return false }
    guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
    defer { busy.store(false, ordering: .releasing) }
    withoutActuallyEscaping(body) { body in
      job = body
      remaining.store(parts - 1, ordering: .sequentiallyConsistent)
      let sequence = state.load(ordering: .relaxed) >> 8 + 1
      state.store(sequence << 8 | parts, ordering: .sequentiallyConsistent)
      let helpers = (1 << (parts - 1)) - 1
      let asleep = sleepers.bitwiseAnd(~helpers, ordering: .sequentiallyConsistent).oldValue & helpers
      if asleep != 0 {
        for index in 0..<(parts - 1) where asleep & (1 << index) != 0 { wake[index].signal() }
      }
      body(0)
      while remaining.load(ordering: .acquiring) > 0 {}
      job = nil
    }
    return true
  }

  private func workerLoop(_ index: Int) -> Never {
    let bit = 1 << index
    var seen = 0  // the initial state: a job published before this thread started is still run
    while true {
      var spinStart: UInt64 = 0
      var spins = 0
      var current = state.load(ordering: .sequentiallyConsistent)
      while current == seen {
        spins += 1
        if spins & 255 == 0 {
          let now = DispatchTime.now().uptimeNanoseconds
          if spinStart == 0 {
            spinStart = now
          } else if now - spinStart > spinNanoseconds {
            // Sleep until the caller signals, unless work arrived while the flag went up.
            sleepers.bitwiseOr(bit, ordering: .sequentiallyConsistent)
            if state.load(ordering: .sequentiallyConsistent) != seen {
              let wasAsleep = sleepers.bitwiseAnd(~bit, ordering: .sequentiallyConsistent).oldValue & bit != 0
              if !wasAsleep { wake[index].wait() }  // the caller took the flag and signals: consume it
            } else {
              wake[index].wait()
            }
            spinStart = 0
          }
        }
        current = state.load(ordering: .sequentiallyConsistent)
      }
      seen = current
      if index + 1 < current & 255 {
        job?(index + 1)
        remaining.subtract(1, ordering: .sequentiallyConsistent)
      }
    }
  }
}

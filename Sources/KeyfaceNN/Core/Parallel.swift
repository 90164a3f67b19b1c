import Dispatch

/// The engine's own thread parallelism (OpenBLAS runs single-threaded inside each part).
enum Parallel {
  /// Threads to use (`Network.setThreads`); defaults to the machine's active processors.
  static var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

  /// Hand parts to Dispatch instead of the spinning `WorkerPool` (for comparisons).
  nonisolated(unsafe) static var useDispatch = ProcessInfo.processInfo.environment["KEYFACE_NN_DISPATCH"] != nil

  /// Runs `body(part, range)` for `parts` contiguous, near-equal ranges covering `0..<count`, concurrently.
  ///
  /// Parts must write disjoint memory. With one part (or one thread) everything runs on the caller's thread.
  @inline(__always)
  static func forEachPart(_ parts: Int, of count: Int, _ body: (Int, Range<Int>) -> Void) {
    let parts = max(1, min(parts, count))
    if parts == 1 {
      body(0, 0..<count)
      return
    }
    func part(_ part: Int) { body(part, (count * part / parts)..<(count * (part + 1) / parts)) }
    if !useDispatch && WorkerPool.shared.run(parts: parts, part) { return }
    DispatchQueue.concurrentPerform(iterations: parts, execute: part)
  }
}

/// Runs `body(range)` over `0..<count` split into one contiguous range per thread when `count * costPerItem`
/// is large enough to pay for the hand-off.
@inline(__always)
func parallelRanges(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
  let threads = Parallel.threads
  if threads <= 1 || count <= 1 || count * costPerItem < 65_536 {
    body(0..<count)
    return
  }
  Parallel.forEachPart(threads, of: count) { _, range in body(range) }
}

import Foundation

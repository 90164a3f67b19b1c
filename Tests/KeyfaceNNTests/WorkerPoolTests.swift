import Dispatch
import XCTest

@testable import KeyfaceNN

/// The spinning pool behind `Parallel.forEachPart`: every part runs exactly once per job, across sleeps, from
/// several callers at once, and it declines (so Dispatch takes over) what it cannot run.
final class WorkerPoolTests: XCTestCase {
  func testEveryPartRunsOncePerJobAcrossSpinsAndSleeps() {
    let pool = WorkerPool(workers: 3, spinNanoseconds: 20_000)
    var counts = [Int](repeating: 0, count: 4)
    for job in 0..<2_000 {
      let parts = 2 + job % 3
      counts.withUnsafeMutableBufferPointer { c in
        let ran = pool.run(parts: parts) { part in c[part] += 1 }
        XCTAssertTrue(ran)
      }
      // Now and then wait long enough for the workers to fall asleep, so waking is tested too.
      if job % 97 == 0 { usleep(2_000) }
    }
    // parts = 2, 3, 4 in turn (667 jobs of 2 parts, 667 of 3, 666 of 4).
    XCTAssertEqual(counts, [2_000, 2_000, 1_333, 666])
  }

  func testDeclinesNestedOversizedAndConcurrentJobs() {
    let pool = WorkerPool(workers: 1)
    XCTAssertFalse(pool.run(parts: 3) { _ in XCTFail("oversized job ran") })
    XCTAssertFalse(pool.run(parts: 1) { _ in XCTFail("single part ran") })
    var nested: [Bool] = []
    let ran = pool.run(parts: 2) { part in
      if part == 0 { nested.append(pool.run(parts: 2) { _ in }) }
    }
    XCTAssertTrue(ran)
    XCTAssertEqual(nested, [false])
  }

  func testParallelPartsFromManyThreadsCoverEveryIndex() {
    let saved = Parallel.threads
    defer { Parallel.threads = saved }
    Parallel.threads = 2
    // Callers on several threads at once: one gets the pool, the others fall back to Dispatch; all must finish.
    let sums = UnsafeMutableBufferPointer<Int>.allocate(capacity: 8)
    defer { sums.deallocate() }
    DispatchQueue.concurrentPerform(iterations: 8) { caller in
      var total = 0
      for _ in 0..<200 {
        var partial = [0, 0]
        partial.withUnsafeMutableBufferPointer { p in
          Parallel.forEachPart(2, of: 1_000) { part, range in p[part] = range.reduce(0, +) }
        }
        total += partial[0] + partial[1]
      }
      sums[caller] = total
    }
    XCTAssertEqual(Array(sums), [Int](repeating: 200 * 499_500, count: 8))
  }
}

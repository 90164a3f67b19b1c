import Dispatch
import XCTest

@testable import KeyfaceFaces

final class BoundedQueueTests: XCTestCase {
  func testOrderAndBackpressure() {
    let queue = BoundedQueue<Int>(capacity: 3)
    let maxHeld = LockedValue(0)
    let produced = LockedValue(0)
    let consumed = LockedValue(0)
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) {
      for i in 0..<1000 {
        queue.push(i)
        produced.withLock { $0 += 1 }
        let held = produced.current - consumed.current
        maxHeld.withLock { $0 = max($0, held) }
      }
      queue.close()
    }
    var received: [Int] = []
    while let item = queue.pop() {
      received.append(item)
      consumed.withLock { $0 += 1 }
    }
    group.wait()
    XCTAssertEqual(received, Array(0..<1000))
    // At most the capacity is queued, plus the one item each side may hold between calls.
    XCTAssertLessThanOrEqual(maxHeld.current, 3 + 2)
  }

  func testCancelWakesBlockedProducer() {
    let queue = BoundedQueue<Int>(capacity: 1)
    queue.push(1)
    let done = DispatchSemaphore(value: 0)
    let result = LockedValue(true)
    DispatchQueue.global().async {
      result.withLock { $0 = queue.push(2) }
      done.signal()
    }
    usleep(20_000)
    queue.cancel()
    XCTAssertEqual(done.wait(timeout: .now() + 2), .success)
    XCTAssertFalse(result.current)
    XCTAssertNil(queue.pop())
  }
}

// A first-in first-out queue of bounded capacity between two pipeline threads: `push` blocks while the queue
// is full (so a fast producer waits for a slow consumer and memory stays flat), `pop` blocks while it is
// empty. `close()` ends the stream after the queued items; `cancel()` also drops them and wakes everyone.
import Foundation

/// A blocking FIFO of bounded capacity for one producer and one consumer thread.
public final class BoundedQueue<Element>: @unchecked Sendable {
  /// The most items held at once, e.g. 8.
  public let capacity: Int
  private let condition = NSCondition()
  private var items: [Element?]
  private var head = 0
  private var count = 0
  private var closed = false
  private var cancelled = false

  /// Creates an empty queue holding at most `capacity` items.
  public init(capacity: Int) {
    precondition(capacity > 0, "BoundedQueue capacity must be positive")
    self.capacity = capacity
    items = [Element?](repeating: nil, count: capacity)
  }

  /// Appends `item`, waiting while the queue is full; false if the queue was closed or cancelled.
  @discardableResult
  public func push(_ item: Element) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    while count == capacity && !closed && !cancelled { condition.wait() }
    guard !closed && !cancelled else { return false }
    items[(head + count) % capacity] = item
    count += 1
    condition.broadcast()
    return true
  }

  /// Removes the oldest item, waiting while the queue is empty; nil once it is closed and drained, or cancelled.
  public func pop() -> Element? {
    condition.lock()
    defer { condition.unlock() }
    while count == 0 && !closed && !cancelled { condition.wait() }
    guard !cancelled, count > 0 else { return nil }
    let item = items[head]
    items[head] = nil
    head = (head + 1) % capacity
    count -= 1
    condition.broadcast()
    return item
  }

  /// No more items will come: `pop` returns what is queued, then nil.
  public func close() {
    condition.lock()
    closed = true
    condition.broadcast()
    condition.unlock()
  }

  /// Stops the stream at once: queued items are dropped, blocked `push` and `pop` calls return.
  public func cancel() {
    condition.lock()
    cancelled = true
    for i in items.indices { items[i] = nil }
    count = 0
    condition.broadcast()
    condition.unlock()
  }
}

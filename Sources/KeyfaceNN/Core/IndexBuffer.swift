/// A growable scratch array of 32-bit indices (max-pool argmax).
final class IndexBuffer {
  private(set) var pointer: UnsafeMutablePointer<Int32>
  private(set) var capacity: Int

  init() {
    capacity = 16
    pointer = .allocate(capacity: capacity)
  }

  deinit { pointer.deallocate() }

  @discardableResult
  func reserve(_ count: Int) -> UnsafeMutablePointer<Int32> {
    if count > capacity {
      pointer.deallocate()
      capacity = count
      pointer = .allocate(capacity: count)
    }
    return pointer
  }
}

/// A growable, 64-byte-aligned scratch array of floats that layers reuse between steps.
///
/// `reserve` only grows, so a buffer sized once for the largest batch never allocates again; contents are not
/// preserved across a growth.
final class Buffer {
  private(set) var pointer: UnsafeMutablePointer<Float>
  private(set) var capacity: Int

  init(capacity: Int = 0) {
    self.capacity = max(capacity, 16)
    pointer = Buffer.allocate(self.capacity)
  }

  deinit { pointer.deallocate() }

  /// Makes room for at least `count` floats and returns the (possibly new) base pointer.
  @discardableResult
  func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
    if count > capacity {
      pointer.deallocate()
      capacity = count
      pointer = Buffer.allocate(count)
    }
    return pointer
  }

  private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
    let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
    let typed = raw.bindMemory(to: Float.self, capacity: count)
    typed.initialize(repeating: 0, count: count)
    return typed
  }
}

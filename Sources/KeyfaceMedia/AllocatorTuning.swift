// Decoded frames are large arrays (0.9 MB of grey, 1.4 MB of colour per 720p frame) allocated and freed
// at the frame rate. glibc's defaults hand such blocks back to the kernel on free (mmap for big blocks,
// trimming the heap top past twice that), so every new frame page-faults its memory in again: a fifth of
// the reader's time in the kernel. Raising both thresholds once keeps the blocks in the heap for reuse,
// holding at most 16 MB of free memory per heap. The setting is process-wide; mallopt is looked up at
// run time, so other C libraries simply skip it.

#if canImport(Glibc)
  import Glibc

  /// Process-wide allocator settings for frame-sized buffers; applied once, on the first reader.
  enum AllocatorTuning {
    static let applied: Bool = {
      typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
      guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else {
        return false
      }
      let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
      let trimThreshold: Int32 = -1
      let mmapThreshold: Int32 = -3  // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
      return mallopt(mmapThreshold, 32 << 20) == 1 && mallopt(trimThreshold, 16 << 20) == 1
    }()
  }
#else
  enum AllocatorTuning {
    static let applied = false
  }
#endif

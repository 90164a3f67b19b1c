import CFFmpeg

/// Owns one `AVFrame`.
final class Frame {
  let pointer: UnsafeMutablePointer<AVFrame>

  init() throws {
    guard let p = av_frame_alloc() else {
      throw FFmpegError(operation: "out of memory (AVFrame)", code: 0)
    }
    pointer = p
  }

  deinit {
    var p: UnsafeMutablePointer<AVFrame>? = pointer
    av_frame_free(&p)
  }

  /// Drops the frame's buffers so it can receive the next one.
  func unref() { av_frame_unref(pointer) }

  var width: Int { Int(pointer.pointee.width) }
  var height: Int { Int(pointer.pointee.height) }

  /// The plane pointers as `sws_scale` takes them.
  func withPlanes<T>(
    _ body: (UnsafePointer<UnsafePointer<UInt8>?>, UnsafePointer<Int32>) throws -> T
  ) rethrows -> T {
    try withUnsafePointer(to: &pointer.pointee.data) { data in
      try data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { planes in
        try withUnsafePointer(to: &pointer.pointee.linesize) { linesize in
          try linesize.withMemoryRebound(to: Int32.self, capacity: 8) { try body(planes, $0) }
        }
      }
    }
  }

  /// Plane `i`'s data pointer and stride.
  func plane(_ i: Int) -> (UnsafeMutablePointer<UInt8>, Int) {
    withUnsafePointer(to: &pointer.pointee.data) { data in
      data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { planes in
        withUnsafePointer(to: &pointer.pointee.linesize) { linesize in
          linesize.withMemoryRebound(to: Int32.self, capacity: 8) { (planes[i]!, Int($0[i])) }
        }
      }
    }
  }
}

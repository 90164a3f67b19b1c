// A custom AVIOContext that reads a file descriptor (standard input for `-`), for inputs libavformat
// cannot open by name. The stream is not seekable, so formats that need to seek (an mp4 whose index
// comes after the media) fail with a clear error instead of reading everything into memory.

import CFFmpeg

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Owns an `AVIOContext` reading a file descriptor; the descriptor itself stays open.
final class FileDescriptorIO {
  let context: UnsafeMutablePointer<AVIOContext>
  private let fileDescriptor: Int32

  init(fileDescriptor: Int32) throws {
    self.fileDescriptor = fileDescriptor
    let size = 1 << 16
    guard let buffer = av_malloc(size) else {
      throw FFmpegError(operation: "out of memory (AVIO buffer)", code: 0)
    }
    // The opaque pointer is set after init, once `self` exists.
    guard
      let context = avio_alloc_context(
        buffer.assumingMemoryBound(to: UInt8.self), Int32(size), 0, nil,
        FileDescriptorIO.readPacket, nil, nil)
    else {
      var b: UnsafeMutableRawPointer? = buffer
      av_freep(&b)
      throw FFmpegError(operation: "out of memory (AVIOContext)", code: 0)
    }
    self.context = context
    context.pointee.opaque = Unmanaged.passUnretained(self).toOpaque()
    context.pointee.seekable = 0
  }

  deinit {
    // libavformat may have replaced the buffer; free whatever the context holds now.
    av_freep(&context.pointee.buffer)
    var c: UnsafeMutablePointer<AVIOContext>? = context
    avio_context_free(&c)
  }

  private static let readPacket:
    @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32 = {
      opaque, buffer, size in
      guard let opaque, let buffer else { return swift_AVERROR(EINVAL) }
      let io = Unmanaged<FileDescriptorIO>.fromOpaque(opaque).takeUnretainedValue()
      while true {
        let n = read(io.fileDescriptor, buffer, Int(size))
        if n > 0 { return Int32(n) }
        if n == 0 { return swift_AVERROR_EOF() }
        if errno != EINTR { return swift_AVERROR(errno) }
      }
    }
}

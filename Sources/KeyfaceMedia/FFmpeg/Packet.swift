import CFFmpeg

/// Owns one `AVPacket`.
final class Packet {
  let pointer: UnsafeMutablePointer<AVPacket>

  init() throws {
    guard let p = av_packet_alloc() else {
      throw FFmpegError(operation: "out of memory (AVPacket)", code: 0)
    }
    pointer = p
  }

  deinit {
    var p: UnsafeMutablePointer<AVPacket>? = pointer
    av_packet_free(&p)
  }

  /// Drops the packet's data so it can receive the next one.
  func unref() { av_packet_unref(pointer) }

  var streamIndex: Int { Int(pointer.pointee.stream_index) }
}

import CFFmpeg

/// Owns an `AVCodecContext` opened for decoding one stream, with frame and slice threading.
final class Decoder {
  let context: UnsafeMutablePointer<AVCodecContext>

  /// - Parameter threads: decoding threads, 0 lets FFmpeg pick from the core count.
  init(stream: UnsafeMutablePointer<AVStream>, codec: UnsafePointer<AVCodec>, threads: Int) throws {
    guard let context = avcodec_alloc_context3(codec) else {
      throw FFmpegError(operation: "out of memory (AVCodecContext)", code: 0)
    }
    self.context = context
    try check(
      avcodec_parameters_to_context(context, stream.pointee.codecpar), "cannot set up the decoder")
    // best_effort_timestamp is in this time base.
    context.pointee.pkt_timebase = stream.pointee.time_base
    context.pointee.thread_count = Int32(max(0, threads))
    context.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
    try check(
      avcodec_open2(context, codec, nil),
      "cannot open the \(String(cString: codec.pointee.name)) decoder")
  }

  deinit {
    var c: UnsafeMutablePointer<AVCodecContext>? = context
    avcodec_free_context(&c)
  }

  /// Sends a packet, or `nil` to start draining. `.again` means frames must be received first.
  func send(_ packet: Packet?) throws -> Status {
    try status(avcodec_send_packet(context, packet?.pointer), "cannot decode")
  }

  /// Receives the next decoded frame into `frame`.
  func receive(_ frame: Frame) throws -> Status {
    try status(avcodec_receive_frame(context, frame.pointer), "cannot decode")
  }
}

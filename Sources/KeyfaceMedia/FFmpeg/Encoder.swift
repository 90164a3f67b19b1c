import CFFmpeg

/// Owns an `AVCodecContext` opened for encoding video frames.
final class Encoder {
  let context: UnsafeMutablePointer<AVCodecContext>
  let codec: UnsafePointer<AVCodec>

  /// Opens `codec` for `width` x `height` pictures in `pixelFormat`.
  ///
  /// - Parameters:
  ///   - timeBase: the unit of frame `pts`, e.g. 1/90000.
  ///   - frameRate: the nominal rate, a hint for rate control.
  ///   - options: codec options (e.g. "crf", "preset" for libx264); unknown ones are ignored.
  ///   - configure: last changes to the context before it is opened (flags, quality).
  init(
    codec: UnsafePointer<AVCodec>, width: Int, height: Int, pixelFormat: AVPixelFormat,
    timeBase: AVRational,
    frameRate: AVRational?, threads: Int, options: [String: String] = [:],
    configure: (UnsafeMutablePointer<AVCodecContext>) -> Void = { _ in }
  ) throws {
    guard let context = avcodec_alloc_context3(codec) else {
      throw FFmpegError(operation: "out of memory (AVCodecContext)", code: 0)
    }
    self.context = context
    self.codec = codec
    context.pointee.width = Int32(width)
    context.pointee.height = Int32(height)
    context.pointee.pix_fmt = pixelFormat
    context.pointee.time_base = timeBase
    context.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
    if let frameRate { context.pointee.framerate = frameRate }
    context.pointee.thread_count = Int32(max(0, threads))
    configure(context)
    var dictionary: OpaquePointer?
    for (key, value) in options { av_dict_set(&dictionary, key, value, 0) }
    defer { av_dict_free(&dictionary) }
    try check(
      avcodec_open2(context, codec, &dictionary), "cannot open the \(Encoder.name(codec)) encoder")
  }

  deinit {
    var c: UnsafeMutablePointer<AVCodecContext>? = context
    avcodec_free_context(&c)
  }

  static func name(_ codec: UnsafePointer<AVCodec>) -> String {
    String(cString: codec.pointee.name)
  }

  /// Sends a frame, or `nil` to start draining. `.again` means packets must be received first.
  func send(_ frame: Frame?) throws -> Status {
    try status(avcodec_send_frame(context, frame?.pointer), "cannot encode")
  }

  /// Receives the next encoded packet into `packet`.
  func receive(_ packet: Packet) throws -> Status {
    try status(avcodec_receive_packet(context, packet.pointer), "cannot encode")
  }

  /// A frame buffer matching the encoder's size and pixel format.
  func makeFrame() throws -> Frame {
    let frame = try Frame()
    frame.pointer.pointee.width = context.pointee.width
    frame.pointer.pointee.height = context.pointee.height
    frame.pointer.pointee.format = context.pointee.pix_fmt.rawValue
    frame.pointer.pointee.color_range = context.pointee.color_range
    try check(av_frame_get_buffer(frame.pointer, 0), "cannot allocate a frame")
    return frame
  }
}

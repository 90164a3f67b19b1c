import CFFmpeg

/// Owns an output `AVFormatContext` and its file: streams, header, interleaved packets, trailer.
final class Muxer {
  let context: UnsafeMutablePointer<AVFormatContext>
  private var headerWritten = false
  private var closed = false

  /// Creates a muxer for `format` writing to `path`, which is created or truncated.
  init(format: UnsafePointer<AVOutputFormat>, path: String) throws {
    _ = quietFFmpegLog
    var context: UnsafeMutablePointer<AVFormatContext>?
    try check(
      avformat_alloc_output_context2(&context, format, nil, path), "cannot set up the output")
    guard let context else {
      throw FFmpegError(operation: "out of memory (AVFormatContext)", code: 0)
    }
    self.context = context
    if format.pointee.flags & AVFMT_NOFILE == 0 {
      let code = avio_open(&context.pointee.pb, path, AVIO_FLAG_WRITE)
      // deinit runs for a failed init once all properties are set: it frees the context.
      if code < 0 { throw FFmpegError(operation: "cannot create the file", code: code) }
    }
  }

  deinit { close() }

  /// Releases the file and the context (without a trailer unless `finish` ran).
  func close() {
    guard !closed else { return }
    closed = true
    if context.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
      avio_closep(&context.pointee.pb)
    }
    avformat_free_context(context)
  }

  var format: UnsafePointer<AVOutputFormat> { context.pointee.oformat }

  /// The output format's short name, e.g. "mp4" or "matroska".
  var formatName: String { String(cString: format.pointee.name) }

  /// Whether the container can hold `codec` (e.g. subtitles in mp4 only as mov_text).
  func accepts(_ codec: AVCodecID) -> Bool {
    avformat_query_codec(format, codec, FF_COMPLIANCE_NORMAL) == 1
  }

  /// Adds a stream; its parameters are the caller's to fill before `writeHeader`.
  func addStream() throws -> UnsafeMutablePointer<AVStream> {
    guard let stream = avformat_new_stream(context, nil) else {
      throw FFmpegError(operation: "out of memory (AVStream)", code: 0)
    }
    return stream
  }

  func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> { context.pointee.streams[index]! }

  /// Writes the header with muxer options such as ["movflags": "+faststart"]. Streams' time bases may change.
  func writeHeader(options: [String: String]) throws {
    var dictionary: OpaquePointer?
    for (key, value) in options { av_dict_set(&dictionary, key, value, 0) }
    defer { av_dict_free(&dictionary) }
    try check(avformat_write_header(context, &dictionary), "cannot write the header")
    headerWritten = true
  }

  /// Hands a packet (timestamps in its stream's time base) to the interleaver, which takes its data.
  func write(_ packet: Packet) throws {
    try check(av_interleaved_write_frame(context, packet.pointer), "cannot write")
  }

  /// Flushes the interleaver and writes the trailer (for mp4 with faststart, moves the index to the front).
  func finish() throws {
    guard headerWritten else { return }
    try check(av_write_trailer(context), "cannot finish the file")
    headerWritten = false
  }
}

import CFFmpeg

/// Owns an input `AVFormatContext`: opens a file, URL or file descriptor and reads its packets.
final class Demuxer {
  let context: UnsafeMutablePointer<AVFormatContext>
  // Kept alive for as long as the format context reads from it.
  private let io: FileDescriptorIO?

  /// Opens `url` (a path or anything libavformat supports) and reads its stream information.
  convenience init(url: String) throws {
    try self.init(url: url, io: nil)
  }

  /// Reads from an open file descriptor (e.g. 0 for standard input), which is not seekable.
  convenience init(fileDescriptor: Int32) throws {
    try self.init(url: "pipe:", io: try FileDescriptorIO(fileDescriptor: fileDescriptor))
  }

  private init(url: String, io: FileDescriptorIO?) throws {
    _ = quietFFmpegLog
    var context: UnsafeMutablePointer<AVFormatContext>? = avformat_alloc_context()
    guard context != nil else {
      throw FFmpegError(operation: "out of memory (AVFormatContext)", code: 0)
    }
    if let io { context!.pointee.pb = io.context }
    // A network URL that stops answering fails after 30 s instead of hanging; files ignore the option.
    var options: OpaquePointer?
    if url.contains("://") && !url.hasPrefix("file:") {
      av_dict_set(&options, "rw_timeout", "30000000", 0)
    }
    defer { av_dict_free(&options) }
    // avformat_open_input frees the context on failure.
    let code = avformat_open_input(&context, url, nil, &options)
    if code < 0 {
      throw FFmpegError(operation: Demuxer.openFailure(code), code: code)
    }
    self.context = context!
    self.io = io
    // deinit runs for a failed init once all properties are set: it closes the input.
    try check(avformat_find_stream_info(self.context, nil), "cannot read stream information")
  }

  deinit {
    var c: UnsafeMutablePointer<AVFormatContext>? = context
    avformat_close_input(&c)
  }

  private static func openFailure(_ code: Int32) -> String {
    code == FFmpegError.invalidData || code == FFmpegError.endOfFile
      ? "not a video or image file" : "cannot open"
  }

  /// The input format's short names, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "png_pipe".
  var formatName: String { String(cString: context.pointee.iformat.pointee.name) }

  /// Whether the input is a pipe or descriptor (not seekable) rather than a named file or URL.
  var isPipe: Bool { io != nil }

  var streamCount: Int { Int(context.pointee.nb_streams) }

  func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> { context.pointee.streams[index]! }

  /// The index of the best video stream and its decoder.
  func bestVideoStream() throws -> (index: Int, codec: UnsafePointer<AVCodec>) {
    var codec: UnsafePointer<AVCodec>?
    let index = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0)
    if index == swift_AVERROR_STREAM_NOT_FOUND() {
      throw FFmpegError(operation: "no video stream", code: 0)
    }
    try check(index, "no decodable video stream")
    guard let codec else {
      throw FFmpegError(operation: "no decoder for the video stream", code: 0)
    }
    return (Int(index), codec)
  }

  /// Reads the next packet of any stream; `.endOfFile` at the end. Other failures throw.
  func read(into packet: Packet) throws -> Status {
    try status(av_read_frame(context, packet.pointer), "cannot read")
  }

  /// Container duration in seconds, when known.
  var duration: Double? {
    let d = context.pointee.duration
    return d == swift_AV_NOPTS_VALUE() || d <= 0 ? nil : Double(d) / Double(AV_TIME_BASE)
  }
}

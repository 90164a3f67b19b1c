// Reads the frames of a video file, URL, standard input or still image through libavformat and libavcodec:
// the best video stream, threaded decoding, grey (and optionally yuv420p) pixels in displayed orientation,
// and presentation times from each frame's best-effort timestamp. Corrupt packets are skipped with one
// warning. The display matrix is applied as players apply it: quarter turns and mirroring (other angles are
// rounded to a quarter turn). Left out: audio and seeking.

import CFFmpeg

/// Decodes the frames of one video or still image, in order.
///
/// ```swift
/// let reader = try VideoReader(path: "clip.mp4")
/// while let frame = try reader.nextFrame() { print(frame.index, frame.time) }
/// ```
public final class VideoReader {
  /// The path, URL or `-` this reader was opened with; errors and warnings name it.
  public let path: String
  /// Width as displayed (after rotation), e.g. 1280.
  public private(set) var width: Int
  /// Height as displayed (after rotation), e.g. 720.
  public private(set) var height: Int
  /// Clockwise rotation in degrees (0, 90, 180 or 270) from the stream's display matrix, applied to the pixels.
  public let rotation: Int
  /// Whether the display matrix also mirrors the picture left-right, after `rotation` (a vertical flip is a
  /// half turn and a mirror; a transpose a quarter turn and a mirror).
  public let mirrored: Bool
  /// Average (or guessed) frames per second, for information only: times come from timestamps.
  public let frameRate: Double?
  /// Duration in seconds, when the container says.
  public let duration: Double?
  /// True for a single picture (jpg, png, bmp, ...): one frame at time 0.
  public let isStillImage: Bool
  /// Called at most once per file when corrupt data was skipped, e.g. "clip.mp4: skipped corrupt data at 12.3 s".
  public var onWarning: ((String) -> Void)?

  private let demuxer: Demuxer
  private let decoder: Decoder
  private let streamIndex: Int
  private let timeBase: AVRational
  private let wantColor: Bool
  private let packet: Packet
  private let frame: Frame
  private let scaler = Scaler()
  private var scratch: [UInt8] = []
  private var nextIndex = 0
  private var lastTime: Double?
  private var draining = false
  private var finished = false
  private var warned = false
  private var videoPackets = 0
  private var lastPacketDamaged = false
  // Set when the input ended inside the media its index promises; thrown once the decoder is drained.
  private var truncation: MediaError?

  /// Opens a video or still image.
  ///
  /// - Parameters:
  ///   - path: a file path, `-` for standard input, or any URL libavformat supports.
  ///   - threads: decoding threads; 0 picks from the number of cores.
  ///   - wantColor: also deliver each frame as yuv420p in `DecodedFrame.color`.
  /// - Throws: `MediaError` naming `path` when it cannot be opened or holds no decodable video.
  public convenience init(path: String, threads: Int = 0, wantColor: Bool = false) throws {
    let demuxer = try naming(path) {
      path == "-" ? try Demuxer(fileDescriptor: 0) : try Demuxer(url: path)
    }
    try self.init(demuxer: demuxer, path: path, threads: threads, wantColor: wantColor)
  }

  /// Reads from an open file descriptor (a pipe, standard input), named `name` in messages.
  convenience init(fileDescriptor: Int32, name: String, threads: Int = 0, wantColor: Bool = false)
    throws
  {
    let demuxer = try naming(name) { try Demuxer(fileDescriptor: fileDescriptor) }
    try self.init(demuxer: demuxer, path: name, threads: threads, wantColor: wantColor)
  }

  private init(demuxer: Demuxer, path: String, threads: Int, wantColor: Bool) throws {
    _ = AllocatorTuning.applied
    self.path = path
    self.demuxer = demuxer
    self.wantColor = wantColor
    let (index, codec) = try naming(path) { try demuxer.bestVideoStream() }
    streamIndex = index
    let stream = demuxer.stream(index)
    // Only the video stream is decoded; let the demuxer drop the others early.
    for i in 0..<demuxer.streamCount where i != index {
      demuxer.stream(i).pointee.discard = AVDISCARD_ALL
    }
    timeBase = stream.pointee.time_base
    decoder = try naming(path) { try Decoder(stream: stream, codec: codec, threads: threads) }
    packet = try naming(path) { try Packet() }
    frame = try naming(path) { try Frame() }
    (rotation, mirrored) = VideoReader.orientation(of: stream)
    let codedWidth = Int(stream.pointee.codecpar.pointee.width)
    let codedHeight = Int(stream.pointee.codecpar.pointee.height)
    let swaps = rotation == 90 || rotation == 270
    width = swaps ? codedHeight : codedWidth
    height = swaps ? codedWidth : codedHeight
    let rate = av_guess_frame_rate(demuxer.context, stream, nil)
    frameRate = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : nil
    let name = demuxer.formatName
    isStillImage = name.hasSuffix("_pipe") || (name == "image2" && !path.contains("%"))
    if let d = demuxer.duration {
      duration = d
    } else if stream.pointee.duration != swift_AV_NOPTS_VALUE() && stream.pointee.duration > 0 {
      duration = Double(stream.pointee.duration) * av_q2d(stream.pointee.time_base)
    } else {
      duration = nil
    }
  }

  /// The display matrix's clockwise quarter turns (in degrees) and mirroring, decided as FFmpeg 7's command line
  /// decides them (which transpose, flip or rotation filters to insert) so that frames look as its players show them.
  private static func orientation(of stream: UnsafeMutablePointer<AVStream>) -> (rotation: Int, mirrored: Bool) {
    var size = 0
    guard let data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size), size >= 9 * 4 else {
      return (0, false)
    }
    let matrix = data.withMemoryRebound(to: Int32.self, capacity: 9) { Array(UnsafeBufferPointer(start: $0, count: 9)) }
    let counterclockwise = av_display_rotation_get(matrix)
    guard counterclockwise.isFinite else { return (0, false) }
    // av_display_rotation_get is counterclockwise; players turn the picture by its negation.
    let quarterTurns = Int((-counterclockwise / 90).rounded())
    let degrees = ((quarterTurns % 4 + 4) % 4) * 90
    switch degrees {
    case 90 where matrix[3] > 0: return (90, true)  // transpose
    case 180 where matrix[4] > 0: return (0, true)  // a horizontal flip alone
    case 270 where matrix[3] < 0: return (270, true)  // transpose across the other diagonal
    case 0 where matrix[4] < 0: return (180, true)  // a vertical flip alone
    default: return (degrees, false)
    }
  }

  /// Decodes the next frame; `nil` at the end of the stream, after the decoder has been drained.
  ///
  /// - Throws: `MediaError` when the input cannot be read further (not for corrupt packets, which are skipped).
  public func nextFrame() throws -> DecodedFrame? {
    if finished { return nil }
    return try naming(path) {
      while true {
        let received: Status
        do {
          received = try decoder.receive(frame)
        } catch let error as FFmpegError where error.code == FFmpegError.invalidData {
          warnCorrupt()
          continue
        }
        switch received {
        case .ok where frame.width <= 0 || frame.height <= 0:
          // A damaged header can yield an empty picture: nothing to show.
          frame.unref()
          warnCorrupt()
        case .ok:
          defer { frame.unref() }
          return try convertFrame()
        case .again where !draining:
          try feedDecoder()
        case .again, .endOfFile:
          finished = true
          if let truncation { throw truncation }
          if nextIndex == 0 {
            throw MediaError(
              path: path, message: "no picture could be decoded (the file is damaged or cut short)")
          }
          return nil
        }
      }
    }
  }

  /// Sends the next packet of the video stream, or starts draining at the end of the input.
  private func feedDecoder() throws {
    var consecutiveErrors = 0
    while true {
      let read: Status
      do {
        read = try demuxer.read(into: packet)
      } catch let error as FFmpegError
        where demuxer.isPipe && videoPackets == 0 && demuxer.formatName.hasPrefix("mov,")
      {
        // The index of this mp4/mov comes after its media, and a pipe cannot go back to the media.
        throw FFmpegError(
          operation: "cannot read an mp4 or mov file with its index at the end from a pipe"
            + " (\(FFmpegError.text(error.code))); pass the file's path, or remux it with -movflags +faststart",
          code: 0)
      } catch let error as FFmpegError
        where error.code == FFmpegError.invalidData && consecutiveErrors < 100
      {
        // Demuxers resynchronise after damaged bytes; give up only if nothing readable follows.
        consecutiveErrors += 1
        warnCorrupt()
        continue
      }
      if read != .ok {
        noteTruncation()
        draining = true
        _ = try decoder.send(nil)
        return
      }
      defer { packet.unref() }
      guard packet.streamIndex == streamIndex else { continue }
      // Damaged packets (e.g. MPEG-TS continuity errors) still go to the decoder, which conceals what it can,
      // so the frame count matches what ffprobe and players show.
      videoPackets += 1
      lastPacketDamaged = packet.pointer.pointee.flags & AV_PKT_FLAG_CORRUPT != 0
      if lastPacketDamaged { warnCorrupt(at: packetTime()) }
      do {
        _ = try decoder.send(packet)
      } catch let error as FFmpegError where error.code == FFmpegError.invalidData {
        warnCorrupt(at: packetTime())
        continue
      }
      return
    }
  }

  /// A file cut short (a copy or download that stopped) ends in a short, damaged packet while the container's
  /// index still counts frames after it. Edited files can also index more frames than they play, so both
  /// signs are required.
  private func noteTruncation() {
    let indexed = Int(demuxer.stream(streamIndex).pointee.nb_frames)
    if indexed > videoPackets && (lastPacketDamaged || videoPackets == 0) {
      truncation = MediaError(
        path: path,
        message: "the file is truncated: it ends after \(videoPackets) of its \(indexed) frames")
    }
  }

  /// The current packet's time in seconds, when it has one.
  private func packetTime() -> Double? {
    let p = packet.pointer.pointee
    let ts = p.pts != swift_AV_NOPTS_VALUE() ? p.pts : p.dts
    return ts == swift_AV_NOPTS_VALUE() ? nil : Double(ts) * av_q2d(timeBase)
  }

  /// Reports damage once per file, at the damaged packet's time or else the last frame's.
  private func warnCorrupt(at time: Double? = nil) {
    guard !warned else { return }
    warned = true
    let at = String(((time ?? lastTime ?? 0) * 10).rounded() / 10)
    onWarning?("\(path): skipped corrupt data at \(at) s")
  }

  /// The frame's presentation time in seconds; extrapolated when the frame has no timestamp.
  private func frameTime() -> Double {
    if isStillImage { return 0 }
    let f = frame.pointer.pointee
    if f.best_effort_timestamp != swift_AV_NOPTS_VALUE() {
      return Double(f.best_effort_timestamp) * av_q2d(timeBase)
    }
    guard let lastTime else { return 0 }
    if f.pkt_duration > 0 { return lastTime + Double(f.pkt_duration) * av_q2d(timeBase) }
    return lastTime + 1 / (frameRate ?? 25)
  }

  private func convertFrame() throws -> DecodedFrame {
    let time = frameTime()
    lastTime = time
    let f = frame.pointer.pointee
    if f.decode_error_flags != 0 || f.flags & AV_FRAME_FLAG_CORRUPT != 0 { warnCorrupt() }
    let w = frame.width
    let h = frame.height
    let swaps = rotation == 90 || rotation == 270
    width = swaps ? h : w
    height = swaps ? w : h
    let gray = try grayPixels(width: w, height: h)
    let color = wantColor ? try colorPixels(width: w, height: h) : nil
    defer { nextIndex += 1 }
    return DecodedFrame(
      index: nextIndex, time: time, gray: GrayImage(width: width, height: height, pixels: gray),
      color: color)
  }

  /// A `count`-byte array filled by `body` without zero-initialising it first.
  private func makePlane(_ count: Int, _ body: (UnsafeMutablePointer<UInt8>) throws -> Void)
    rethrows -> [UInt8]
  {
    try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      try body(buffer.baseAddress!)
      initialized = count
    }
  }

  private func grayPixels(width w: Int, height h: Int) throws -> [UInt8] {
    let format = AVPixelFormat(frame.pointer.pointee.format)
    if VideoReader.hasPlanarLuma(format) {
      // Plane 0 already is the grey picture: copy (and rotate) it straight from the decoder's buffer,
      // stretching limited-range luma to full-range grey as swscale would for GRAY8.
      let (data, stride) = frame.plane(0)
      let fullRange =
        frame.pointer.pointee.color_range == AVCOL_RANGE_JPEG || format == AV_PIX_FMT_YUVJ420P
        || format == AV_PIX_FMT_YUVJ422P || format == AV_PIX_FMT_YUVJ444P
        || format == AV_PIX_FMT_YUVJ440P
        || format == AV_PIX_FMT_GRAY8
      return makePlane(w * h) {
        PlaneRotation.rotate(
          data, width: w, height: h, stride: stride, degrees: rotation, mirrored: mirrored, expandRange: !fullRange,
          into: $0)
      }
    }
    if rotation == 0 && !mirrored {
      return try makePlane(w * h) {
        try scaler.convert(
          frame, to: AV_PIX_FMT_GRAY8, fullRangeOutput: true, planes: [$0], strides: [Int32(w)])
      }
    }
    if scratch.count < w * h { scratch = [UInt8](repeating: 0, count: w * h) }
    return try scratch.withUnsafeMutableBufferPointer { buffer in
      let base = buffer.baseAddress!
      try scaler.convert(
        frame, to: AV_PIX_FMT_GRAY8, fullRangeOutput: true, planes: [base], strides: [Int32(w)])
      return makePlane(w * h) {
        PlaneRotation.rotate(base, width: w, height: h, stride: w, degrees: rotation, mirrored: mirrored, into: $0)
      }
    }
  }

  private func colorPixels(width w: Int, height h: Int) throws -> YUVImage {
    let cw = (w + 1) / 2
    let ch = (h + 1) / 2
    let swaps = rotation == 90 || rotation == 270
    let outWidth = swaps ? h : w
    let outHeight = swaps ? w : h
    let format = AVPixelFormat(frame.pointer.pointee.format)
    let limited = frame.pointer.pointee.color_range != AVCOL_RANGE_JPEG
    if format == AV_PIX_FMT_YUV420P && limited {
      var planes: [[UInt8]] = []
      for (i, pw, ph) in [(0, w, h), (1, cw, ch), (2, cw, ch)] {
        let (data, stride) = frame.plane(i)
        planes.append(
          makePlane(pw * ph) {
            PlaneRotation.rotate(
              data, width: pw, height: ph, stride: stride, degrees: rotation, mirrored: mirrored, into: $0)
          })
      }
      return YUVImage(width: outWidth, height: outHeight, y: planes[0], u: planes[1], v: planes[2])
    }
    let sizes = [w * h, cw * ch, cw * ch]
    let total = sizes.reduce(0, +)
    if scratch.count < total { scratch = [UInt8](repeating: 0, count: total) }
    return try scratch.withUnsafeMutableBufferPointer { buffer in
      let base = buffer.baseAddress!
      let y = base
      let u = base + sizes[0]
      let v = base + sizes[0] + sizes[1]
      try scaler.convert(
        frame, to: AV_PIX_FMT_YUV420P, fullRangeOutput: false, planes: [y, u, v],
        strides: [Int32(w), Int32(cw), Int32(cw)])
      let rotated = [(y, w, h), (u, cw, ch), (v, cw, ch)].map { plane, pw, ph in
        makePlane(pw * ph) {
          PlaneRotation.rotate(
            plane, width: pw, height: ph, stride: pw, degrees: rotation, mirrored: mirrored, into: $0)
        }
      }
      return YUVImage(
        width: outWidth, height: outHeight, y: rotated[0], u: rotated[1], v: rotated[2])
    }
  }

  /// Whether plane 0 of `format` is 8-bit luma, one byte per pixel (yuv420p, yuvj420p, nv12, gray, ...).
  /// (GRAY8 itself counts as full range, the others by their color_range.)
  private static func hasPlanarLuma(_ format: AVPixelFormat) -> Bool {
    guard let descriptor = av_pix_fmt_desc_get(format)?.pointee else { return false }
    let notLuma =
      UInt64(AV_PIX_FMT_FLAG_RGB) | UInt64(AV_PIX_FMT_FLAG_PAL) | UInt64(AV_PIX_FMT_FLAG_HWACCEL)
      | UInt64(AV_PIX_FMT_FLAG_BE) | UInt64(AV_PIX_FMT_FLAG_BAYER)
    let luma = descriptor.comp.0
    return descriptor.flags & notLuma == 0 && luma.plane == 0 && luma.step == 1 && luma.shift == 0
      && luma.offset == 0 && luma.depth == 8
  }
}

// Encodes yuv420p pictures into a new video file (H.264 through libx264 when available), keeping each
// frame's own timestamp, and copies the audio and subtitles of the source file into it without re-encoding.
// The file is written under a temporary name in the same folder and renamed by `finish()`, so a failed or
// abandoned run leaves nothing behind. Left out: audio re-encoding, rotation flags (pixels come rotated).

import CFFmpeg
import Foundation

/// Writes a video file from pictures and their times, copying the other streams of a source file.
///
/// ```swift
/// let writer = try VideoWriter(path: "out.mp4", width: 640, height: 480, frameRate: 25, copyingStreamsFrom: "in.mp4")
/// try writer.write(image, time: frame.time)
/// try writer.finish()
/// ```
public final class VideoWriter {
  /// The final path; the file appears there only when `finish()` succeeds.
  public let path: String
  /// Picture width that `write` expects, e.g. 1280.
  public let width: Int
  /// Picture height that `write` expects, e.g. 720.
  public let height: Int
  /// The encoder in use, e.g. "libx264" (or the container's default when libx264 is missing).
  public let codecName: String

  private let temporaryPath: String
  private let muxer: Muxer
  private let encoder: Encoder
  private let videoIndex: Int
  private let copier: StreamCopier?
  private let timeBase: AVRational
  private let frame: Frame
  // A yuv420p picture for encoders that take another pixel format (then converted by the scaler).
  private let sourceFrame: Frame?
  private let packet: Packet
  private let scaler = Scaler()
  private let nominalFrameDuration: Int64
  private var lastPts: Int64?
  private var nextPts: [Int64: Int64] = [:]
  private var lastDuration: Int64
  private var done = false

  /// Creates the temporary file, sets up the encoder and the copied streams, and writes the header.
  ///
  /// - Parameters:
  ///   - path: the output; its extension picks the container (.mp4, .mov, .mkv, ...).
  ///   - width: picture width, e.g. 1280 (odd sizes lose their last column or row: yuv420p needs even sizes).
  ///   - height: picture height, e.g. 720.
  ///   - frameRate: the nominal frame rate, a hint for rate control; timestamps come from `write`.
  ///   - input: a file whose audio, subtitles and container metadata are copied, or nil (and `-`) for none.
  ///   - crf: libx264 constant rate factor, 0 (lossless) to 51; 20 looks like the source.
  ///   - preset: libx264 speed preset, "ultrafast" ... "veryslow".
  ///   - threads: encoding threads, 0 for automatic.
  /// - Throws: `MediaError` naming `path` (or `input`) when the file cannot be created or the encoder opened.
  public init(
    path: String, width: Int, height: Int, frameRate: Double?, copyingStreamsFrom input: String?,
    crf: Int = 23,
    preset: String = "veryfast", threads: Int = 0
  ) throws {
    _ = quietFFmpegLog
    self.path = path
    self.width = width
    self.height = height
    let url = URL(fileURLWithPath: path)
    let ext = url.pathExtension.lowercased()
    let temporaryPath = url.deletingLastPathComponent()
      .appendingPathComponent(
        ".\(url.lastPathComponent).partial-\(getpid())\(ext.isEmpty ? "" : "." + ext)"
      ).path
    self.temporaryPath = temporaryPath
    guard width >= 2, height >= 2 else {
      throw MediaError(path: path, message: "cannot encode a \(width)x\(height) picture")
    }
    guard let format = av_guess_format(nil, path, nil) else {
      throw MediaError(
        path: path, message: "unknown video container '.\(ext)' (use .mp4, .mov or .mkv)")
    }
    // The source is opened first: its video time base becomes ours, so timestamps survive exactly.
    let source: Demuxer? = try input.flatMap { input in
      input == "-" ? nil : try naming(input) { try Demuxer(url: input) }
    }
    let sourceTimeBase = source.flatMap { try? $0.bestVideoStream() }.map {
      source!.stream($0.index).pointee.time_base
    }
    let timeBase: AVRational
    if let tb = sourceTimeBase, tb.num == 1, tb.den >= 1000, tb.den <= 1_000_000 {
      timeBase = tb
    } else {
      timeBase = AVRational(num: 1, den: 90000)
    }
    self.timeBase = timeBase
    let rate = frameRate.flatMap { $0 > 0 && $0.isFinite ? av_d2q($0, 100_000) : nil }
    nominalFrameDuration = max(
      1, av_rescale_q(1, av_inv_q(rate ?? AVRational(num: 25, den: 1)), timeBase))
    lastDuration = nominalFrameDuration

    let muxer = try naming(path) { try Muxer(format: format, path: temporaryPath) }
    self.muxer = muxer
    do {
      let (encoder, stream) = try naming(path) {
        () throws -> (Encoder, UnsafeMutablePointer<AVStream>) in
        let x264 =
          ["mp4", "mov", "mkv"].contains(ext) ? avcodec_find_encoder_by_name("libx264") : nil
        guard let codec = x264 ?? avcodec_find_encoder(format.pointee.video_codec) else {
          throw FFmpegError(operation: "no video encoder for '.\(ext)' in this FFmpeg", code: 0)
        }
        let pixelFormat = VideoWriter.pixelFormat(for: codec)
        let encoder = try Encoder(
          codec: codec, width: width & ~1, height: height & ~1, pixelFormat: pixelFormat,
          timeBase: timeBase,
          frameRate: rate ?? AVRational(num: 25, den: 1), threads: threads,
          options: x264 != nil ? ["crf": "\(crf)", "preset": preset] : [:]
        ) { context in
          context.pointee.color_range = AVCOL_RANGE_MPEG
          if format.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
          }
          if x264 == nil {
            // Without libx264: a fixed quantiser instead of the tiny default bit rate.
            context.pointee.flags |= AV_CODEC_FLAG_QSCALE
            context.pointee.global_quality = 3 * FF_QP2LAMBDA
          }
        }
        let stream = try muxer.addStream()
        try check(
          avcodec_parameters_from_context(stream.pointee.codecpar, encoder.context),
          "cannot set up the video stream")
        stream.pointee.time_base = timeBase
        if let rate { stream.pointee.avg_frame_rate = rate }
        return (encoder, stream)
      }
      self.encoder = encoder
      codecName = Encoder.name(encoder.codec)
      videoIndex = Int(stream.pointee.index)
      copier = try source.map { source in
        try naming(input!) { try StreamCopier(from: source, to: muxer) }
      }
      frame = try naming(path) { try encoder.makeFrame() }
      if encoder.context.pointee.pix_fmt != AV_PIX_FMT_YUV420P {
        sourceFrame = try naming(path) {
          try Frame(copying: YUVImage(width: width & ~1, height: height & ~1))
        }
      } else {
        sourceFrame = nil
      }
      packet = try naming(path) { try Packet() }
      let faststart = ["mp4", "mov"].contains(muxer.formatName)
      try naming(path) {
        try muxer.writeHeader(options: faststart ? ["movflags": "+faststart"] : [:])
      }
    } catch {
      muxer.close()
      unlink(temporaryPath)
      throw error
    }
  }

  deinit {
    if !done { abort() }
  }

  private static func pixelFormat(for codec: UnsafePointer<AVCodec>) -> AVPixelFormat {
    guard var p = codec.pointee.pix_fmts else { return AV_PIX_FMT_YUV420P }
    let first = p.pointee
    while p.pointee != AV_PIX_FMT_NONE {
      if p.pointee == AV_PIX_FMT_YUV420P { return AV_PIX_FMT_YUV420P }
      p += 1
    }
    return first
  }

  /// Encodes one picture shown from `time` seconds on (the source frame's time; times must increase).
  ///
  /// - Throws: `MediaError` for a picture of the wrong size, after `finish()`, or when encoding fails.
  public func write(_ image: YUVImage, time: Double) throws {
    guard !done else { throw MediaError(path: path, message: "write after the file was finished") }
    guard image.width == width, image.height == height else {
      throw MediaError(
        path: path,
        message: "picture is \(image.width)x\(image.height), the video is \(width)x\(height)")
    }
    try naming(path) {
      var pts = Int64((time / av_q2d(timeBase)).rounded())
      // Encoders need strictly increasing timestamps; equal or backward times (rounding) move up one tick.
      if let lastPts, pts <= lastPts { pts = lastPts + 1 }
      if let lastPts {
        nextPts[lastPts] = pts
        lastDuration = pts - lastPts
      }
      lastPts = pts
      try fill(frame, with: image)
      frame.pointer.pointee.pts = pts
      while try encoder.send(frame) == .again { try drain() }
      try drain()
    }
  }

  private func fill(_ frame: Frame, with image: YUVImage) throws {
    try check(av_frame_make_writable(frame.pointer), "cannot allocate a frame")
    guard let sourceFrame else {
      frame.copy(image)
      return
    }
    try check(av_frame_make_writable(sourceFrame.pointer), "cannot allocate a frame")
    sourceFrame.copy(image)
    let format = encoder.context.pointee.pix_fmt
    let count = Int(av_pix_fmt_count_planes(format))
    let planes = (0..<count).map { frame.plane($0) }
    try scaler.convert(
      sourceFrame, to: format, fullRangeOutput: false, planes: planes.map { $0.0 },
      strides: planes.map { Int32($0.1) })
  }

  /// Moves every packet the encoder has ready into the muxer, with the copied streams' packets up to its time.
  private func drain() throws {
    let stream = muxer.stream(videoIndex)
    while try encoder.receive(packet) == .ok {
      let p = packet.pointer
      p.pointee.stream_index = Int32(videoIndex)
      let pts = p.pointee.pts
      if let next = nextPts.removeValue(forKey: pts) {
        p.pointee.duration = next - pts
      } else {
        p.pointee.duration = lastDuration
      }
      av_packet_rescale_ts(p, timeBase, stream.pointee.time_base)
      let dts = p.pointee.dts != swift_AV_NOPTS_VALUE() ? p.pointee.dts : p.pointee.pts
      let time = Double(dts) * av_q2d(stream.pointee.time_base)
      try copier?.copy(upTo: time, into: muxer)
      try muxer.write(packet)
    }
  }

  /// Flushes the encoder, copies the remaining audio and subtitles, writes the trailer and renames the file
  /// into place.
  ///
  /// - Parameter copyingRestOfStreams: `true` copies the source's streams to their end; `false` (an
  ///   interrupted run) stops them at the end of the last picture written.
  /// - Throws: `MediaError` naming `path`; the temporary file is removed then.
  public func finish(copyingRestOfStreams: Bool = true) throws {
    guard !done else { return }
    do {
      try naming(path) {
        _ = try encoder.send(nil)
        try drain()
        let end = lastPts.map { Double($0 + lastDuration) * av_q2d(timeBase) }
        try copier?.copy(upTo: copyingRestOfStreams ? nil : end, into: muxer)
        try muxer.finish()
      }
      muxer.close()
      done = true
      if rename(temporaryPath, path) != 0 {
        let reason = String(cString: strerror(errno))
        unlink(temporaryPath)
        throw MediaError(
          path: path, message: "cannot move the finished file into place (\(reason))")
      }
    } catch {
      abort()
      throw error
    }
  }

  /// Stops writing and removes the temporary file; nothing appears at `path`.
  public func abort() {
    done = true
    muxer.close()
    unlink(temporaryPath)
  }
}

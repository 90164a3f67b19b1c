import CFFmpeg

/// Owns a `SwsContext`, rebuilt only when the source or destination geometry or format changes.
final class Scaler {
  private var context: OpaquePointer?

  deinit { sws_freeContext(context) }

  /// Converts `frame` at its own size into `format`, writing to the given planes and strides.
  ///
  /// - Parameter fullRangeOutput: `nil` keeps the source's range (a plain copy of luma for grey),
  ///   `true`/`false` converts to full or limited range.
  func convert(
    _ frame: Frame, to format: AVPixelFormat, fullRangeOutput: Bool?,
    planes: [UnsafeMutablePointer<UInt8>?], strides: [Int32]
  ) throws {
    let width = Int32(frame.width)
    let height = Int32(frame.height)
    var source = AVPixelFormat(frame.pointer.pointee.format)
    var fullRangeInput = frame.pointer.pointee.color_range == AVCOL_RANGE_JPEG
    // The deprecated yuvj formats are yuv with full range; swscale prefers being told so explicitly.
    switch source {
    case AV_PIX_FMT_YUVJ420P:
      source = AV_PIX_FMT_YUV420P
      fullRangeInput = true
    case AV_PIX_FMT_YUVJ422P:
      source = AV_PIX_FMT_YUV422P
      fullRangeInput = true
    case AV_PIX_FMT_YUVJ444P:
      source = AV_PIX_FMT_YUV444P
      fullRangeInput = true
    case AV_PIX_FMT_YUVJ440P:
      source = AV_PIX_FMT_YUV440P
      fullRangeInput = true
    default: break
    }
    context = sws_getCachedContext(
      context, width, height, source, width, height, format, SWS_BILINEAR, nil, nil, nil)
    guard let context else {
      throw FFmpegError(
        operation: "cannot convert pixel format \(Scaler.name(source)) to \(Scaler.name(format))",
        code: 0)
    }
    let coefficients = sws_getCoefficients(SWS_CS_ITU601)
    let outputRange = fullRangeOutput ?? fullRangeInput
    sws_setColorspaceDetails(
      context, coefficients, fullRangeInput ? 1 : 0, coefficients, outputRange ? 1 : 0, 0, 1 << 16,
      1 << 16)
    let rows = frame.withPlanes { sourcePlanes, sourceStrides in
      sws_scale(context, sourcePlanes, sourceStrides, 0, height, planes, strides)
    }
    try check(rows, "cannot convert pixel format")
  }

  static func name(_ format: AVPixelFormat) -> String {
    av_get_pix_fmt_name(format).map { String(cString: $0) } ?? "unknown"
  }
}

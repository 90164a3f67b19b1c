// Reads and writes single pictures through libavformat/libavcodec: any still image FFmpeg decodes in,
// PNG, JPEG or BMP out (chosen by the extension), written atomically.

import CFFmpeg
import Foundation

/// Reading and writing still pictures.
public enum ImageFile {
  /// The first picture of `path` (jpg, png, bmp, ... or a video's first frame) as grey, rotation applied.
  ///
  /// - Throws: `MediaError` naming `path` when it cannot be read or holds no picture.
  public static func readGray(path: String) throws -> GrayImage {
    let reader = try VideoReader(path: path, threads: 1)
    guard let frame = try reader.nextFrame() else {
      throw MediaError(path: path, message: "no picture in the file")
    }
    return frame.gray
  }

  /// Writes `image` as PNG, JPEG or BMP (by the extension of `path`), through a temporary file renamed at the end.
  ///
  /// - Throws: `MediaError` naming `path` for an unknown extension or a failed encode or write.
  public static func write(_ image: YUVImage, to path: String) throws {
    _ = quietFFmpegLog
    let ext = (path as NSString).pathExtension.lowercased()
    let codecID: AVCodecID
    let pixelFormat: AVPixelFormat
    switch ext {
    case "png": (codecID, pixelFormat) = (AV_CODEC_ID_PNG, AV_PIX_FMT_RGB24)
    case "jpg", "jpeg": (codecID, pixelFormat) = (AV_CODEC_ID_MJPEG, AV_PIX_FMT_YUVJ420P)
    case "bmp": (codecID, pixelFormat) = (AV_CODEC_ID_BMP, AV_PIX_FMT_BGR24)
    default:
      throw MediaError(path: path, message: "unknown image type '.\(ext)' (use .png, .jpg or .bmp)")
    }
    let bytes = try naming(path) { () throws -> [UInt8] in
      guard let codec = avcodec_find_encoder(codecID) else {
        throw FFmpegError(operation: "no \(ext) encoder in this FFmpeg", code: 0)
      }
      let encoder = try Encoder(
        codec: codec, width: image.width, height: image.height, pixelFormat: pixelFormat,
        timeBase: AVRational(num: 1, den: 25), frameRate: nil, threads: 1
      ) { context in
        if codecID == AV_CODEC_ID_MJPEG {
          // Fixed quality (qscale 3 of 1-31), full-range YUV as JPEG files are.
          context.pointee.flags |= AV_CODEC_FLAG_QSCALE
          context.pointee.global_quality = 3 * FF_QP2LAMBDA
          context.pointee.color_range = AVCOL_RANGE_JPEG
        }
      }
      let source = try Frame(copying: image)
      let target = try encoder.makeFrame()
      let (y, yStride) = target.plane(0)
      var planes: [UnsafeMutablePointer<UInt8>?] = [y]
      var strides = [Int32(yStride)]
      if pixelFormat == AV_PIX_FMT_YUVJ420P {
        let (u, uStride) = target.plane(1)
        let (v, vStride) = target.plane(2)
        planes += [u, v]
        strides += [Int32(uStride), Int32(vStride)]
      }
      try Scaler().convert(
        source, to: pixelFormat, fullRangeOutput: true, planes: planes, strides: strides)
      target.pointer.pointee.pts = 0
      let packet = try Packet()
      var output: [UInt8] = []
      _ = try encoder.send(target)
      _ = try encoder.send(nil)
      while try encoder.receive(packet) == .ok {
        output += UnsafeBufferPointer(
          start: packet.pointer.pointee.data, count: Int(packet.pointer.pointee.size))
        packet.unref()
      }
      return output
    }
    guard !bytes.isEmpty else {
      throw MediaError(path: path, message: "the \(ext) encoder produced no data")
    }
    let url = URL(fileURLWithPath: path)
    let temporary = url.deletingLastPathComponent()
      .appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid()).\(ext)")
    do {
      try Data(bytes).write(to: temporary)
      if rename(temporary.path, url.path) != 0 {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: temporary)
        throw MediaError(path: path, message: "cannot write (\(reason))")
      }
    } catch let error as MediaError {
      throw error
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw MediaError(path: path, message: "cannot write (\(error.localizedDescription))")
    }
  }
}

// Writes the input back out with the keypoints drawn in: a video through VideoWriter (H.264 in .mp4, .mov,
// .mkv; audio and other streams copied), or, for a still image input and an image path (.png, .jpg, .bmp),
// an annotated image. A failed source leaves no file; a cancelled one (SIGINT) is finished properly with the
// frames done so far.
import Foundation
import KeyfaceMedia

/// Encoding settings for annotated video.
public struct VideoOutputOptions: Sendable {
  /// x264's constant rate factor, 0 (lossless) to 51, e.g. 20 (lower is better quality).
  public var crf: Int
  /// x264's preset, e.g. "veryfast".
  public var preset: String
  /// Encoding threads, e.g. 2; 0 lets the encoder pick.
  public var threads: Int
  /// What to draw besides the keypoints.
  public var draw: Set<DrawElement>

  /// Creates encoding settings.
  public init(crf: Int = 23, preset: String = "veryfast", threads: Int = 0, draw: Set<DrawElement> = []) {
    self.crf = crf
    self.preset = preset
    self.threads = threads
    self.draw = draw
  }
}

/// A sink that draws each frame's faces and encodes the frames to one video (or image) file.
public final class AnnotatedVideoSink: FrameSink {
  /// The output path, e.g. "out.mp4" or "out.png".
  public let path: String
  /// Encoding and drawing settings.
  public let options: VideoOutputOptions
  private let drawer: KeypointDrawer
  private var writer: VideoWriter?
  private var wroteImage = false
  private var began = false

  /// File extensions written as a single image rather than a video.
  public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "bmp"]

  /// True when `path` names an image file (by its extension).
  public static func isImagePath(_ path: String) -> Bool {
    imageExtensions.contains((path as NSString).pathExtension.lowercased())
  }

  /// Creates a sink writing to `path`; nothing is created until the source begins.
  public init(path: String, options: VideoOutputOptions = VideoOutputOptions()) {
    self.path = path
    self.options = options
    drawer = KeypointDrawer(elements: options.draw)
  }

  public var wantsColor: Bool { true }

  public func begin(_ source: SourceInfo) throws {
    guard !began else {
      throw PipelineError(path: path, message: "an annotated video takes exactly one input")
    }
    began = true
    // The writers rename a finished temporary file onto the path: never onto a device or a pipe.
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
      let type = (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) ?? nil
      if isFolder.boolValue || type != .typeRegular {
        throw PipelineError(path: path, message: "not a regular file; --video writes a new video or image file")
      }
    }
    if AnnotatedVideoSink.isImagePath(path) {
      guard source.isStillImage else {
        throw PipelineError(
          path: path, message: "an image output needs a still image input; name a video (.mp4, .mov, .mkv) instead")
      }
      return
    }
    writer = try VideoWriter(
      path: path, width: source.width, height: source.height, frameRate: source.frameRate,
      copyingStreamsFrom: source.name == "-" ? nil : source.name, crf: options.crf, preset: options.preset,
      threads: options.threads)
  }

  public func write(_ result: FrameResult, frame: DecodedFrame) throws {
    var image = frame.color ?? AnnotatedVideoSink.colorless(frame.gray)
    drawer.draw(result.faces, on: &image)
    if let writer {
      try writer.write(image, time: frame.time)
    } else if !wroteImage {
      try ImageFile.write(image, to: path)
      wroteImage = true
    }
  }

  public func end(_ source: SourceInfo, outcome: SourceOutcome) throws {
    guard let writer else { return }
    self.writer = nil
    switch outcome {
    case .completed: try writer.finish()
    // Interrupted: the copied audio stops where the last picture ends.
    case .cancelled: try writer.finish(copyingRestOfStreams: false)
    case .failed: writer.abort()
    }
  }

  public func abort() {
    writer?.abort()
    writer = nil
  }

  /// A grey picture as yuv420p with neutral chroma.
  static func colorless(_ gray: GrayImage) -> YUVImage {
    let cw = (gray.width + 1) / 2, ch = (gray.height + 1) / 2
    let neutral = [UInt8](repeating: 128, count: cw * ch)
    return YUVImage(width: gray.width, height: gray.height, y: gray.pixels, u: neutral, v: neutral)
  }
}

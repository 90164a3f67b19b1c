import KeyfaceMedia

/// Runs OpenCV's exact window steps on frames up to `largeFrameArea` pixels and a 2-pixel window step on
/// larger ones (HD video), where it is about three times faster and finds nearly the same faces.
public final class SizeAdaptiveFinder: FaceFinding, Sendable {
  /// The detector for frames up to `largeFrameArea` pixels.
  public let small: FaceDetector
  /// The detector for larger frames.
  public let large: FaceDetector
  /// Frames with more pixels than this use `large`, e.g. 640 x 480.
  public let largeFrameArea: Int

  /// Two detectors over the same cascade, with OpenCV's defaults otherwise.
  public init(cascade: HaarCascade, largeFrameArea: Int = 640 * 480) {
    small = FaceDetector(cascade: cascade)
    large = FaceDetector(cascade: cascade, windowStep: 2)
    self.largeFrameArea = largeFrameArea
  }

  public func detect(in image: GrayImage) -> [FaceBox] {
    (image.width * image.height > largeFrameArea ? large : small).detect(in: image)
  }
}

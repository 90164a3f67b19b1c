import KeyfaceMedia

/// Runs OpenCV's exact window steps on frames up to `largeFrameArea` pixels and a 2-pixel window step on
/// larger ones (HD video), where it is about three times faster and finds nearly the same faces. Its quick
/// search (beside tracked faces) also steps the pyramid by 1.2 instead of 1.1: about half the work, recall
/// 0.958 -> 0.935 on single faces68 frames.
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
    quickSmall = FaceDetector(cascade: cascade, scaleFactor: 1.2)
    quickLarge = FaceDetector(cascade: cascade, scaleFactor: 1.2, windowStep: 2)
    self.largeFrameArea = largeFrameArea
  }

  private let quickSmall: FaceDetector
  private let quickLarge: FaceDetector

  public func detect(in image: GrayImage) -> [FaceBox] {
    (image.width * image.height > largeFrameArea ? large : small).detect(in: image)
  }

  public func detectQuickly(in image: GrayImage) -> [FaceBox] {
    (image.width * image.height > largeFrameArea ? quickLarge : quickSmall).detect(in: image)
  }
}

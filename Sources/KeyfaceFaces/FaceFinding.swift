import KeyfaceMedia

/// Anything that finds face boxes in a grey frame: the Viola-Jones `FaceDetector`, or a stand-in in tests.
public protocol FaceFinding {
  /// The faces found in `image`, in its pixels.
  func detect(in image: GrayImage) -> [FaceBox]
}

extension FaceDetector: FaceFinding {}

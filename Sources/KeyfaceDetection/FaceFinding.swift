import KeyfaceMedia

/// Anything that finds face boxes in a grey frame: the Viola-Jones `FaceDetector`, or a stand-in in tests.
public protocol FaceFinding {
  /// The faces found in `image`, in its pixels.
  func detect(in image: GrayImage) -> [FaceBox]

  /// A cheaper search for the periodic looks beside faces already tracked, which repeat every second or so:
  /// a face it misses once is looked for again soon, at another size. Defaults to `detect(in:)`.
  func detectQuickly(in image: GrayImage) -> [FaceBox]
}

extension FaceFinding {
  public func detectQuickly(in image: GrayImage) -> [FaceBox] { detect(in: image) }
}

extension FaceDetector: FaceFinding {}

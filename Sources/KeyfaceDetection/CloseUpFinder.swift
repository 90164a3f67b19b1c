import KeyfaceMedia

/// Adds close-ups to another finder's faces: a face that fills a photo, or runs off its edge, leaves the Haar
/// window no room, and the thorough search then reports only small false faces on an eye or a forehead. This
/// finder also searches the photo framed by a border of repeated edge pixels, for faces of at least
/// `minFraction` of the photo's shorter side only (a few coarse pyramid levels, a few milliseconds).
///
/// On faces68's validation people, the HELEN portraits lost 12 of 130 faces this way.
public final class CloseUpFinder: FaceFinding {
  /// The finder whose boxes come first.
  public let base: FaceFinding
  /// Border added on each side, as a fraction of the photo's longer side, e.g. 0.25.
  public let border: Float
  /// Smallest face looked for, as a fraction of the photo's shorter side, e.g. 0.35.
  public let minFraction: Float
  private let cascade: HaarCascade

  /// Searches with `cascade` beside `base`.
  public init(_ base: FaceFinding, cascade: HaarCascade, border: Float = 0.25, minFraction: Float = 0.35) {
    self.base = base
    self.cascade = cascade
    self.border = max(0, border)
    self.minFraction = max(0.05, minFraction)
  }

  public func detect(in image: GrayImage) -> [FaceBox] {
    var boxes = base.detect(in: image)
    for box in closeUps(in: image) where !boxes.contains(where: { $0.intersectionOverUnion(box) > 0.3 }) {
      boxes.append(box)
    }
    return boxes
  }

  /// The large faces found in the bordered photo, in the photo's pixels.
  func closeUps(in image: GrayImage) -> [FaceBox] {
    let width = image.width, height = image.height
    guard width > 0, height > 0 else { return [] }
    let pad = Int((Float(max(width, height)) * border).rounded())
    let minFace = max(cascade.windowWidth, Int(Float(min(width, height)) * minFraction))
    let paddedWidth = width + 2 * pad, paddedHeight = height + 2 * pad
    var pixels = [UInt8](repeating: 0, count: paddedWidth * paddedHeight)
    image.pixels.withUnsafeBufferPointer { source in
      pixels.withUnsafeMutableBufferPointer { out in
        for y in 0..<paddedHeight {
          let row = source.baseAddress! + min(max(y - pad, 0), height - 1) * width
          let line = out.baseAddress! + y * paddedWidth
          let left = row[0], right = row[width - 1]
          for x in 0..<pad { line[x] = left }
          (line + pad).update(from: row, count: width)
          for x in (pad + width)..<paddedWidth { line[x] = right }
        }
      }
    }
    let detector = FaceDetector(cascade: cascade, minFaceSize: minFace)
    let padded = GrayImage(width: paddedWidth, height: paddedHeight, pixels: pixels)
    return detector.detect(in: padded).map { box in
      var b = box
      b.x -= Float(pad)
      b.y -= Float(pad)
      return b
    }
  }
}

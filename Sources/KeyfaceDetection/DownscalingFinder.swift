import KeyfaceMedia

/// Searches frames larger than `maxSide` pixels (longest side) on a copy shrunk to that size, and scales the boxes
/// back: a 12-megapixel photo then costs what a 1280-pixel one does, and its smallest faces found grow with it
/// (24-pixel faces at 1280 px are 75-pixel faces in a 4000-pixel photo).
public final class DownscalingFinder: FaceFinding {
  /// The finder doing the search.
  public let base: FaceFinding
  /// Longest side searched, e.g. 1280.
  public let maxSide: Int

  /// Wraps `base`.
  public init(_ base: FaceFinding, maxSide: Int = 1280) {
    self.base = base
    self.maxSide = max(maxSide, 24)
  }

  public func detect(in image: GrayImage) -> [FaceBox] {
    let longest = max(image.width, image.height)
    guard longest > maxSide else { return base.detect(in: image) }
    let factor = Float(longest) / Float(maxSide)
    let width = max(1, Int((Float(image.width) / factor).rounded()))
    let height = max(1, Int((Float(image.height) / factor).rounded()))
    var pixels = [UInt8](repeating: 0, count: width * height)
    pixels.withUnsafeMutableBufferPointer { out in
      image.pixels.withUnsafeBufferPointer { source in
        PyramidResizer.resize(source, width: image.width, height: image.height, into: out, width: width, height: height)
      }
    }
    let sx = Float(image.width) / Float(width), sy = Float(image.height) / Float(height)
    return base.detect(in: GrayImage(width: width, height: height, pixels: pixels)).map { box in
      var b = box
      b.x *= sx
      b.y *= sy
      b.width *= sx
      b.height *= sy
      return b
    }
  }
}

/// A colour picture in planar YUV 4:2:0 (FFmpeg's yuv420p), as decoded and as encoded.
///
/// Chroma planes are `(width + 1) / 2` by `(height + 1) / 2`. No row padding.
public struct YUVImage: Sendable {
  /// Width in pixels, e.g. 1280.
  public var width: Int
  /// Height in pixels, e.g. 720.
  public var height: Int
  /// Luma, `width * height` bytes.
  public var y: [UInt8]
  /// Blue-difference chroma, `chromaWidth * chromaHeight` bytes.
  public var u: [UInt8]
  /// Red-difference chroma, `chromaWidth * chromaHeight` bytes.
  public var v: [UInt8]

  public var chromaWidth: Int { (width + 1) / 2 }
  public var chromaHeight: Int { (height + 1) / 2 }

  public init(width: Int, height: Int, y: [UInt8], u: [UInt8], v: [UInt8]) {
    let cw = (width + 1) / 2
    let ch = (height + 1) / 2
    precondition(
      y.count == width * height && u.count == cw * ch && v.count == cw * ch, "YUVImage plane sizes")
    self.width = width
    self.height = height
    self.y = y
    self.u = u
    self.v = v
  }

  /// The luma plane as a greyscale picture (no copy of meaning, one copy of bytes).
  public var gray: GrayImage { GrayImage(width: width, height: height, pixels: y) }
}

extension YUVImage {
  /// A picture of one colour; the default is black (limited range: Y 16, U and V 128).
  public init(width: Int, height: Int, fill y: UInt8 = 16, u: UInt8 = 128, v: UInt8 = 128) {
    let chroma = ((width + 1) / 2) * ((height + 1) / 2)
    self.init(
      width: width, height: height, y: [UInt8](repeating: y, count: width * height),
      u: [UInt8](repeating: u, count: chroma), v: [UInt8](repeating: v, count: chroma))
  }
}

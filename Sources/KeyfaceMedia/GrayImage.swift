/// An 8-bit greyscale picture, row-major, one byte per pixel, no row padding.
public struct GrayImage: Sendable {
  /// Width in pixels, e.g. 1280.
  public var width: Int
  /// Height in pixels, e.g. 720.
  public var height: Int
  /// `width * height` luma values, row by row from the top-left pixel.
  public var pixels: [UInt8]

  public init(width: Int, height: Int, pixels: [UInt8]) {
    precondition(pixels.count == width * height, "GrayImage needs width*height pixels")
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  /// A picture filled with one value.
  public init(width: Int, height: Int, fill: UInt8 = 0) {
    self.init(width: width, height: height, pixels: [UInt8](repeating: fill, count: width * height))
  }

  @inlinable public subscript(x: Int, y: Int) -> UInt8 {
    get { pixels[y * width + x] }
    set { pixels[y * width + x] = newValue }
  }
}

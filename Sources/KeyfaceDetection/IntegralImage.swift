// Summed-area tables of an 8-bit picture: the sum and the sum of squares of every
// rectangle in four look-ups.
//
// Sums are kept in 32-bit integers that wrap on overflow, as OpenCV's cascade code does:
// a frame's total may overflow, but the difference of four corners is exact modulo 2^32,
// so any rectangle whose true sum fits in 32 bits (a 24×24 window: at most 576 · 255² for
// squares) comes out right. This halves the memory traffic of 64-bit tables.
import KeyfaceMedia

/// The integral image and squared integral image of a greyscale picture, with a row stride
/// that may exceed `width + 1` so several pyramid levels can share one set of offsets.
struct IntegralImage {
  /// Width of the picture the tables were built from, e.g. 320.
  private(set) var width = 0
  /// Height of the picture, e.g. 240.
  private(set) var height = 0
  /// Elements per table row, at least `width + 1`.
  private(set) var stride = 0
  /// (height + 1, stride): `sums[y * stride + x]` is the sum of pixels above and left of (x, y).
  private(set) var sums: [Int32] = []
  /// (height + 1, stride): the same for squared pixel values, modulo 2^32.
  private(set) var squares: [UInt32] = []

  init() {}

  /// Tables for a whole picture.
  init(_ image: GrayImage) {
    image.pixels.withUnsafeBufferPointer { compute(pixels: $0, width: image.width, height: image.height) }
  }

  /// Rebuilds the tables for `width × height` pixels, reusing storage; `stride` defaults to `width + 1`.
  mutating func compute(pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, stride: Int? = nil) {
    precondition(pixels.count >= width * height, "IntegralImage: too few pixels")
    let stride = stride ?? width + 1
    precondition(stride > width, "IntegralImage: stride must exceed the width")
    self.width = width
    self.height = height
    self.stride = stride
    let count = (height + 1) * stride
    if sums.count < count {
      sums = [Int32](repeating: 0, count: count)
      squares = [UInt32](repeating: 0, count: count)
    }
    sums.withUnsafeMutableBufferPointer { s in
      squares.withUnsafeMutableBufferPointer { q in
        for x in 0...width {
          s[x] = 0
          q[x] = 0
        }
        for y in 0..<height {
          let row = (y + 1) * stride
          let above = y * stride
          let source = y * width
          s[row] = 0
          q[row] = 0
          var rowSum: Int32 = 0
          var rowSquares: UInt32 = 0
          for x in 0..<width {
            let v = UInt32(pixels[source + x])
            rowSum &+= Int32(bitPattern: v)
            rowSquares &+= v &* v
            s[row + x + 1] = s[above + x + 1] &+ rowSum
            q[row + x + 1] = q[above + x + 1] &+ rowSquares
          }
        }
      }
    }
  }

  /// The sum of pixel values in `x..<x+w, y..<y+h`.
  func sum(x: Int, y: Int, width w: Int, height h: Int) -> Int {
    let a = y * stride + x
    let b = (y + h) * stride + x
    return Int(sums[b + w] &- sums[b] &- sums[a + w] &+ sums[a])
  }

  /// The sum of squared pixel values in `x..<x+w, y..<y+h` (exact while it is below 2^32).
  func sumOfSquares(x: Int, y: Int, width w: Int, height h: Int) -> Int {
    let a = y * stride + x
    let b = (y + h) * stride + x
    return Int(squares[b + w] &- squares[b] &- squares[a + w] &+ squares[a])
  }
}

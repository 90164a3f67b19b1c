// Rotates one 8-bit plane by a multiple of 90 degrees clockwise, optionally stretching limited-range luma
// (16..235) to full-range grey (0..255) on the way. Straight rows are written in order, so the compiler
// vectorises them; quarter turns go in square tiles so both the reads and the writes stay in cache.

/// Clockwise rotation of 8-bit planes.
enum PlaneRotation {
  /// Rotates a `width` x `height` plane (rows `stride` bytes apart) by `degrees` (0, 90, 180, 270)
  /// clockwise into `output`, which must hold `width * height` bytes; its rows have no padding.
  ///
  /// - Parameters:
  ///   - mirrored: then mirror the result left-right.
  ///   - expandRange: map limited-range luma to full-range grey (`limitedToFullRange`).
  static func rotate(
    _ input: UnsafePointer<UInt8>, width: Int, height: Int, stride: Int, degrees: Int, mirrored: Bool = false,
    expandRange: Bool = false, into output: UnsafeMutablePointer<UInt8>
  ) {
    defer {
      if mirrored {
        let rowLength = degrees == 90 || degrees == 270 ? height : width
        for row in 0..<(width * height / rowLength) {
          var line = UnsafeMutableBufferPointer(start: output + row * rowLength, count: rowLength)
          line.reverse()
        }
      }
    }
    if degrees == 0 && !expandRange {
      for y in 0..<height { (output + y * width).update(from: input + y * stride, count: width) }
    } else if expandRange {
      rotate(
        input, width: width, height: height, stride: stride, degrees: degrees, into: output,
        map: ExpandRange.self)
    } else {
      rotate(
        input, width: width, height: height, stride: stride, degrees: degrees, into: output,
        map: Identity.self)
    }
  }

  /// Limited-range luma (16 black, 235 white) to full-range grey (0, 255), rounded as swscale does:
  /// the reference for the fixed-point `ExpandRange`.
  static let limitedToFullRange: [UInt8] = (0...255).map { (value: Int) -> UInt8 in
    let scaled: Int = ((value - 16) * 510 + 219) / 438
    return UInt8(clamping: scaled)
  }

  /// A per-pixel map, specialised into the loops.
  protocol PixelMap { static func map(_ value: UInt8) -> UInt8 }

  enum Identity: PixelMap {
    @inline(__always) static func map(_ value: UInt8) -> UInt8 { value }
  }

  enum ExpandRange: PixelMap {
    /// (v - 16) * 255 / 219 in 11-bit fixed point; equal to `limitedToFullRange` for every byte.
    @inline(__always) static func map(_ value: UInt8) -> UInt8 {
      let scaled = (Int32(value) &* 2385 &- 37174) >> 11
      return UInt8(truncatingIfNeeded: min(max(scaled, 0), 255))
    }
  }

  private static func rotate<Map: PixelMap>(
    _ input: UnsafePointer<UInt8>, width: Int, height: Int, stride: Int, degrees: Int,
    into output: UnsafeMutablePointer<UInt8>, map: Map.Type
  ) {
    switch degrees {
    case 90:
      // Source (x, y) lands at (height - 1 - y, x) in a height-wide picture.
      tiled(width: width, height: height) { x, y in
        output[x * height + (height - 1 - y)] = Map.map(input[y * stride + x])
      }
    case 180:
      for y in 0..<height {
        let source = input + y * stride
        let target = output + (height - 1 - y) * width
        for x in 0..<width { target[width - 1 - x] = Map.map(source[x]) }
      }
    case 270:
      // Source (x, y) lands at (y, width - 1 - x).
      tiled(width: width, height: height) { x, y in
        output[(width - 1 - x) * height + y] = Map.map(input[y * stride + x])
      }
    default:
      for y in 0..<height {
        let source = input + y * stride
        let target = output + y * width
        for x in 0..<width { target[x] = Map.map(source[x]) }
      }
    }
  }

  @inline(__always)
  private static func tiled(width: Int, height: Int, _ body: (Int, Int) -> Void) {
    let tile = 32
    var y0 = 0
    while y0 < height {
      let y1 = min(y0 + tile, height)
      var x0 = 0
      while x0 < width {
        let x1 = min(x0 + tile, width)
        for y in y0..<y1 { for x in x0..<x1 { body(x, y) } }
        x0 = x1
      }
      y0 = y1
    }
  }
}

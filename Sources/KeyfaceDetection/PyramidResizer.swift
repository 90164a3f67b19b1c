// Bilinear resizing for the detector's image pyramid, with OpenCV's INTER_LINEAR sampling
// (pixel centres aligned: source x = (x + 0.5) · scale - 0.5, clamped at the borders).
// It only shrinks or keeps sizes in practice; no low-pass filter, as in OpenCV's cascade code.

/// Resizes 8-bit pictures bilinearly.
enum PyramidResizer {
  /// Resizes `source` (`width × height`) into the first `outWidth × outHeight` bytes of `destination`.
  static func resize(
    _ source: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
    into destination: UnsafeMutableBufferPointer<UInt8>, width outWidth: Int, height outHeight: Int
  ) {
    precondition(source.count >= width * height && destination.count >= outWidth * outHeight)
    if outWidth == width && outHeight == height {
      for i in 0..<(width * height) { destination[i] = source[i] }
      return
    }
    let xs = samples(count: outWidth, sourceCount: width)
    let ys = samples(count: outHeight, sourceCount: height)
    guard let src = source.baseAddress, let dst = destination.baseAddress else { return }
    xs.index.withUnsafeBufferPointer { xi in
      xs.weight.withUnsafeBufferPointer { xw in
        for y in 0..<outHeight {
          let y0 = ys.index[y]
          let y1 = min(y0 + 1, height - 1)
          let fy = ys.weight[y]
          let row0 = src + y0 * width
          let row1 = src + y1 * width
          let out = dst + y * outWidth
          for x in 0..<outWidth {
            let x0 = xi[x]
            let x1 = min(x0 + 1, width - 1)
            let fx = xw[x]
            let top = Float(row0[x0]) + fx * (Float(row0[x1]) - Float(row0[x0]))
            let bottom = Float(row1[x0]) + fx * (Float(row1[x1]) - Float(row1[x0]))
            let value = top + fy * (bottom - top)
            out[x] = UInt8(min(max(value + 0.5, 0), 255))
          }
        }
      }
    }
  }

  /// Left/top source index and interpolation weight of every output column/row.
  private static func samples(count: Int, sourceCount: Int) -> (index: [Int], weight: [Float]) {
    let scale = Float(sourceCount) / Float(count)
    var index = [Int](repeating: 0, count: count)
    var weight = [Float](repeating: 0, count: count)
    for i in 0..<count {
      let position = (Float(i) + 0.5) * scale - 0.5
      var i0 = Int(position.rounded(.down))
      var f = position - Float(i0)
      if i0 < 0 {
        i0 = 0
        f = 0
      }
      if i0 >= sourceCount - 1 {
        i0 = sourceCount - 1
        f = 0
      }
      index[i] = i0
      weight[i] = f
    }
    return (index, weight)
  }
}

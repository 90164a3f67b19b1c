// Cuts square face crops out of grey frames for the keypoint network, and maps points back.
//
// Sampling is bilinear with the border pixels repeated outside the frame, as the training crops were made.
// When the crop shrinks the face by more than about 1.5x, each crop pixel averages k x k bilinear samples
// (k = the shrink factor, rounded, at most 4) so that large faces in HD frames are not aliased.
// Nothing is allocated per call: crops are written into the caller's buffer.
import KeyfaceMedia

/// Samples `cropSize` x `cropSize` grey crops from frames through a `CropTransform`.
///
/// Keeps scratch buffers between calls: use one aligner per thread.
public final class FaceAligner {
  /// Side of the crops in pixels, e.g. 96 (the network's input size).
  public let cropSize: Int
  // Per sub-column of the axis-aligned path: left pixel, right pixel, weight of the right one.
  private var x0: [Int] = []
  private var x1: [Int] = []
  private var fx: [Float] = []
  private var sums: [Float] = []
  // One sub-row interpolated vertically over the source columns the crop reads.
  private var line: [Float] = []

  /// Creates an aligner for crops of `cropSize` pixels.
  public init(cropSize: Int = 96) {
    precondition(cropSize > 0, "cropSize must be positive")
    self.cropSize = cropSize
  }

  /// Writes the crop of `image` under `transform` into `output[offset ..< offset + cropSize²]`, row-major.
  public func sample(_ image: GrayImage, transform: CropTransform, into output: inout [UInt8], at offset: Int = 0) {
    precondition(offset >= 0 && offset + cropSize * cropSize <= output.count, "crop buffer too small")
    output.withUnsafeMutableBufferPointer { out in
      image.pixels.withUnsafeBufferPointer { src in
        sample(src, width: image.width, height: image.height, transform: transform, into: out, at: offset)
      }
    }
  }

  /// Returns the crop of `image` under `transform` as a new array (for tests and one-off use).
  public func crop(_ image: GrayImage, transform: CropTransform) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: cropSize * cropSize)
    sample(image, transform: transform, into: &out)
    return out
  }

  /// Maps points from crop coordinates to frame pixels.
  public func framePoints(_ points: [SIMD2<Float>], transform: CropTransform) -> [SIMD2<Float>] {
    points.map { transform.frame(from: $0) }
  }

  /// The supersampling factor used for a transform: about its scale, between 1 and 4.
  public static func supersampling(for transform: CropTransform) -> Int {
    let ax = (transform.a * transform.a + transform.c * transform.c).squareRoot()
    let ay = (transform.b * transform.b + transform.d * transform.d).squareRoot()
    let s = max(ax, ay)
    return max(1, min(4, Int((s + 0.5).rounded(.down))))
  }

  /// The common case of no rotation, separable: column positions are computed once per call; the sub-rows of
  /// each output row are interpolated vertically over the span of source columns the crop reads and summed
  /// (contiguous, vectorisable passes), then interpolated horizontally at the sub-columns.
  private func sampleAxisAligned(
    _ src: UnsafeBufferPointer<UInt8>, width: Int, height: Int, transform t: CropTransform, k: Int,
    into out: UnsafeMutableBufferPointer<UInt8>, at offset: Int
  ) {
    let n = cropSize
    let inv = 1 / Float(k)
    let norm = 1 / Float(k * k)
    let columns = n * k
    if x0.count < columns {
      x0 = [Int](repeating: 0, count: columns)
      x1 = [Int](repeating: 0, count: columns)
      fx = [Float](repeating: 0, count: columns)
    }
    if sums.count < n { sums = [Float](repeating: 0, count: n) }
    let maxX = Float(width - 1), maxY = Float(height - 1)
    var lo = width, hi = 0
    for c in 0..<columns {
      let u = (Float(c) + 0.5) * inv
      let x = min(max(t.tx - 0.5 + t.a * u, 0), maxX)
      let i = Int(x)
      x0[c] = i
      x1[c] = min(i + 1, width - 1)
      fx[c] = x - Float(i)
      lo = min(lo, i)
      hi = max(hi, x1[c])
    }
    let span = hi - lo + 1
    if line.count < span { line = [Float](repeating: 0, count: span) }
    x0.withUnsafeBufferPointer { x0 in
      x1.withUnsafeBufferPointer { x1 in
        fx.withUnsafeBufferPointer { fx in
          sums.withUnsafeMutableBufferPointer { sums in
            line.withUnsafeMutableBufferPointer { line in
              for j in 0..<n {
                // The k sub-rows of output row j, interpolated vertically and summed: interpolation is linear,
                // so summing first and interpolating horizontally once per sub-column gives the same average.
                for i in 0..<span { line[i] = 0 }
                for sj in 0..<k {
                  let v = Float(j) + (Float(sj) + 0.5) * inv
                  let y = min(max(t.ty - 0.5 + t.d * v, 0), maxY)
                  let iy = Int(y)
                  let wy = y - Float(iy)
                  let r0 = iy * width + lo, r1 = min(iy + 1, height - 1) * width + lo
                  for i in 0..<span {
                    let top = Float(src[r0 + i])
                    line[i] += top + (Float(src[r1 + i]) - top) * wy
                  }
                }
                var c = 0
                for i in 0..<n {
                  var acc: Float = 0
                  for _ in 0..<k {
                    let left = line[x0[c] - lo]
                    acc += left + (line[x1[c] - lo] - left) * fx[c]
                    c += 1
                  }
                  sums[i] = acc
                }
                let row = offset + j * n
                for i in 0..<n { out[row + i] = UInt8(min(max(sums[i] * norm + 0.5, 0), 255)) }
              }
            }
          }
        }
      }
    }
  }

  func sample(
    _ src: UnsafeBufferPointer<UInt8>, width: Int, height: Int, transform t: CropTransform,
    into out: UnsafeMutableBufferPointer<UInt8>, at offset: Int
  ) {
    let n = cropSize
    let finite = t.a.isFinite && t.b.isFinite && t.c.isFinite && t.d.isFinite && t.tx.isFinite && t.ty.isFinite
    // Far-away or broken transforms would overflow Int(); such a crop is meaningless anyway.
    let bound: Float = 1e7
    guard width > 0, height > 0, finite, abs(t.tx) < bound, abs(t.ty) < bound,
      abs(t.a) < bound, abs(t.b) < bound, abs(t.c) < bound, abs(t.d) < bound
    else {
      for i in 0..<(n * n) { out[offset + i] = 0 }
      return
    }
    let k = FaceAligner.supersampling(for: t)
    if t.b == 0 && t.c == 0 {
      sampleAxisAligned(src, width: width, height: height, transform: t, k: k, into: out, at: offset)
      return
    }
    let inv = 1 / Float(k)
    let norm = 1 / Float(k * k)
    let maxX = Float(width - 1), maxY = Float(height - 1)
    let w = width
    // Step in frame sample coordinates per sub-pixel along u.
    let du = t.a * inv, dv = t.c * inv
    // Sample coordinates are frame coordinates minus 0.5 (pixel centres sit at i + 0.5).
    let x00 = t.tx - 0.5, y00 = t.ty - 0.5
    let half = 0.5 * inv
    for j in 0..<n {
      let rowOut = offset + j * n
      for i in 0..<n {
        let u0 = Float(i) + half
        var sum: Float = 0
        for sj in 0..<k {
          let v = Float(j) + (Float(sj) + 0.5) * inv
          var x = x00 + t.a * u0 + t.b * v
          var y = y00 + t.c * u0 + t.d * v
          for _ in 0..<k {
            let cx = min(max(x, 0), maxX), cy = min(max(y, 0), maxY)
            let ix = Int(cx), iy = Int(cy)
            let fx = cx - Float(ix), fy = cy - Float(iy)
            let ix1 = min(ix + 1, w - 1), iy1 = min(iy + 1, height - 1)
            let r0 = iy * w, r1 = iy1 * w
            let p00 = Float(src[r0 + ix]), p01 = Float(src[r0 + ix1])
            let p10 = Float(src[r1 + ix]), p11 = Float(src[r1 + ix1])
            let top = p00 + (p01 - p00) * fx
            let bottom = p10 + (p11 - p10) * fx
            sum += top + (bottom - top) * fy
            x += du
            y += dv
          }
        }
        out[rowOut + i] = UInt8(min(max(sum * norm + 0.5, 0), 255))
      }
    }
  }
}

// Patches of a face at up to its own resolution, one around each keypoint, for the refinement network.
//
// A 96-px crop holds a face's outer eye corners about 51 px apart, so a larger face loses detail there. The
// refinement stage reads the face again at `resolution` patch pixels per crop unit (2.5: the outer eye corners
// about 128 px apart): a first estimate of the 15 keypoints frames the face (the similarity, rotation included,
// that takes Kaggle's mean layout onto them), and each keypoint gets a `size` x `size` patch centred on its
// estimate, turned with the face. With `scales` above 1, each keypoint also gets patches of the same size at half,
// a quarter ... of that resolution, which show more of the face around it (an eyebrow's end is placed by the whole
// brow, an eye corner by the eye's own detail). The patches are the channels of one network input, finest scale
// first (15 channels per scale, in keypoint order); the network predicts where each keypoint lies in its finest
// patch.
//
// Sampling is bilinear with the picture's border pixels repeated outside it, and when a patch pixel covers more
// than about 1.5 picture pixels it averages k x k samples (k = that ratio, rounded, at most 4), so large faces
// are not aliased. Training (`PatchTrainer`) and inference (`PatchRefiner`) both sample through here.

/// The geometry and sampling of keypoint patches.
public struct KeypointPatches: Equatable, Sendable {
  /// Side of each square patch in pixels, e.g. 40.
  public var size: Int
  /// Patch pixels per 96-px crop unit of the finest patches, e.g. 2.5.
  public var resolution: Float
  /// Patches per keypoint, each at half the resolution of the one before, e.g. 2.
  public var scales: Int

  public init(size: Int, resolution: Float, scales: Int = 1) {
    precondition(size > 0 && resolution > 0 && resolution.isFinite && scales > 0, "KeypointPatches: geometry")
    self.size = size
    self.resolution = resolution
    self.scales = scales
  }

  /// Bytes of one face's patches: `scales * 15 * size * size`.
  public var bytesPerFace: Int { scales * Keypoints.count * size * size }

  /// The face's frame: the similarity from Kaggle's mean layout (96-px crop units) to picture pixels that fits
  /// `points` (the 15 keypoints in picture pixels) best; nil for degenerate points.
  public static func faceFrame(_ points: [SIMD2<Float>]) -> Similarity? {
    guard points.count == KaggleLayout.meanPoints.count, points.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else {
      return nil
    }
    return Similarity.fit(from: KaggleLayout.meanPoints, to: points)
  }

  /// The distance between the outer eye corners of `points` (Kaggle's order), in their units: the size of a face
  /// as face-alignment scores normalise it.
  public static func eyeDistance(_ points: [SIMD2<Float>]) -> Float {
    let d = points[3] - points[5]
    return (d * d).sum().squareRoot()
  }

  /// The map from patch pixels (origin at the patch's top-left corner) to picture pixels for a patch centred on
  /// `center` in a face framed by `face`, at `scale` (0: the finest).
  public func patchTransform(center: SIMD2<Float>, face: Similarity, scale: Int = 0) -> Similarity {
    let r = resolution / Float(1 << scale)
    let a = face.a / r, b = face.b / r
    let half = Float(size) / 2
    let partial = Similarity(a: a, b: b, shift: .zero)
    return Similarity(a: a, b: b, shift: center - partial.apply(SIMD2(half, half)))
  }

  /// Writes the patches of one face, `scales` per centre, into `output` (`scales * centers.count * size * size`
  /// bytes: every centre's finest patch, then every centre's next, ...; each row-major) from a `width` x `height` grey picture; `gain` and `offset` change the values as
  /// they are sampled (training's photometric augmentation; 1 and 0 at inference). With `mirrored`, the picture is
  /// read as its mirror image (x -> width - x), whose points are `Keypoints.mirrored(points, width:)`.
  public func sample(
    _ pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, centers: [SIMD2<Float>], face: Similarity,
    into output: UnsafeMutablePointer<UInt8>, gain: Float = 1, offset: Float = 0, mirrored: Bool = false
  ) {
    precondition(pixels.count >= width * height && width > 0 && height > 0, "KeypointPatches.sample: picture size")
    for scale in 0..<scales {
      sample(
        pixels, width: width, height: height, centers: centers, face: face, scale: scale,
        into: output + scale * centers.count * size * size, gain: gain, offset: offset, mirrored: mirrored)
    }
  }

  /// The patches of one scale.
  private func sample(
    _ pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, centers: [SIMD2<Float>], face: Similarity,
    scale: Int, into output: UnsafeMutablePointer<UInt8>, gain: Float, offset: Float, mirrored: Bool
  ) {
    let n = size
    let step = face.scale / resolution * Float(1 << scale)
    let k = max(1, min(4, Int((step + 0.5).rounded(.down))))
    let inv = 1 / Float(k)
    let norm = 1 / Float(k * k)
    let maxX = Float(width - 1), maxY = Float(height - 1)
    // Pixel centres sit at half-integers: x - 0.5 is the position in pixel indices (mirrored: width - x - 0.5).
    let xSign: Float = mirrored ? -1 : 1, xBase: Float = mirrored ? Float(width) - 0.5 : -0.5
    let src = pixels.baseAddress!
    var line = [Float](repeating: 0, count: n)
    line.withUnsafeMutableBufferPointer { line in
      for (index, center) in centers.enumerated() {
        let t = patchTransform(center: center, face: face, scale: scale)
        let out = output + index * n * n
        // Along a patch row the picture position moves by (a, b) per patch pixel: each sample row is a line.
        let ax = xSign * t.a * inv, ay = t.b * inv
        for row in 0..<n {
          for column in 0..<n { line[column] = 0 }
          for sy in 0..<k {
            let v = Float(row) + (Float(sy) + 0.5) * inv
            let u0 = 0.5 * inv
            var x = xSign * (t.a * u0 - t.b * v + t.shift.x) + xBase
            var y = t.b * u0 + t.a * v + t.shift.y - 0.5
            for column in 0..<n {
              var sum: Float = 0
              for _ in 0..<k {
                let cx = min(max(x, 0), maxX), cy = min(max(y, 0), maxY)
                let x0 = Int(cx), y0 = Int(cy)
                let x1 = min(x0 + 1, width - 1), y1 = min(y0 + 1, height - 1)
                let fx = cx - Float(x0), fy = cy - Float(y0)
                let r0 = src + y0 * width, r1 = src + y1 * width
                let top = Float(r0[x0]) + (Float(r0[x1]) - Float(r0[x0])) * fx
                let bottom = Float(r1[x0]) + (Float(r1[x1]) - Float(r1[x0])) * fx
                sum += top + (bottom - top) * fy
                x += ax
                y += ay
              }
              line[column] += sum
            }
          }
          for column in 0..<n {
            out[row * n + column] = UInt8(min(max(line[column] * norm * gain + offset + 0.5, 0), 255))
          }
        }
      }
    }
  }
}

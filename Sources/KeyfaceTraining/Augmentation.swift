// One drawn perturbation of a 96x96 face and its application to pixels and keypoints together.
// Geometry is a similarity transform about the crop centre, sampled bilinearly with the border replicated
// (as the kaggle15 crops themselves were made); a flip maps x to 96 - x (pixel-corner origin) and swaps every
// left/right keypoint pair. Points that leave the crop are masked.
import Foundation
import KeyfaceNN

/// A horizontal flip, rotation, scale, shift and brightness/contrast change for one face.
public struct Augmentation: Equatable {
  /// Mirror left-right, swapping `Keypoints.flipPairs`.
  public var flip: Bool
  /// Counter-clockwise rotation in radians on screen (0.1).
  public var rotation: Float
  /// Scale factor about the centre (1.03).
  public var scale: Float
  /// Shift in pixels after rotation and scale ((1.5, -0.5)).
  public var shift: SIMD2<Float>
  /// Added grey level as a fraction of full scale (0.05).
  public var brightness: Float
  /// Contrast factor about mid-grey (1.1).
  public var contrast: Float

  /// Creates an augmentation; the defaults change nothing.
  public init(
    flip: Bool = false, rotation: Float = 0, scale: Float = 1, shift: SIMD2<Float> = .zero, brightness: Float = 0,
    contrast: Float = 1
  ) {
    self.flip = flip
    self.rotation = rotation
    self.scale = scale
    self.shift = shift
    self.brightness = brightness
    self.contrast = contrast
  }

  /// The augmentation that changes nothing.
  public static let identity = Augmentation()

  /// Draws an augmentation within `options` from `random`.
  public static func random(_ options: AugmentationOptions, using random: inout SeededRandom) -> Augmentation {
    var a = Augmentation()
    a.flip = random.uniform(0, 1) < options.flipProbability
    if random.uniform(0, 1) < options.geometricProbability {
      let degrees = random.uniform(-options.maxRotationDegrees, options.maxRotationDegrees)
      a.rotation = degrees * .pi / 180
      a.scale = 1 + random.uniform(-options.maxScale, options.maxScale)
      a.shift = SIMD2(random.uniform(-options.maxShift, options.maxShift), random.uniform(-options.maxShift, options.maxShift))
    }
    a.brightness = random.uniform(-options.maxBrightness, options.maxBrightness)
    a.contrast = 1 + random.uniform(-options.maxContrast, options.maxContrast)
    return a
  }

  private var isGeometricIdentity: Bool { rotation == 0 && scale == 1 && shift == .zero }

  /// Maps a point of the source crop to the augmented crop.
  public func transform(_ point: SIMD2<Float>) -> SIMD2<Float> {
    let side = Float(KaggleDataset.side)
    let center = SIMD2<Float>(repeating: side / 2)
    var p = point
    if flip { p.x = side - p.x }
    let d = p - center
    let (s, c) = (sin(rotation), cos(rotation))
    // Image y points down, so this rotation turns the face counter-clockwise on screen for positive angles.
    let r = SIMD2(c * d.x + s * d.y, -s * d.x + c * d.y)
    return center + scale * r + shift
  }

  /// Maps a point of the augmented crop back to the source crop (the inverse of `transform`).
  public func inverse(_ point: SIMD2<Float>) -> SIMD2<Float> {
    let side = Float(KaggleDataset.side)
    let center = SIMD2<Float>(repeating: side / 2)
    let d = (point - center - shift) / scale
    let (s, c) = (sin(rotation), cos(rotation))
    var p = center + SIMD2(c * d.x - s * d.y, s * d.x + c * d.y)
    if flip { p.x = side - p.x }
    return p
  }

  /// Applies the augmentation to one face.
  /// - Parameters:
  ///   - pixels: 9,216 grey values, row-major. // (96, 96)
  ///   - coordinates: 30 keypoint coordinates in 96-px units; `mask` says which are present.
  /// - Returns: the augmented pixels as floats in 0...255 and the moved, swapped and re-masked keypoints.
  public func apply(pixels: [UInt8], coordinates: [Float], mask: [Float]) -> (
    pixels: [Float], coordinates: [Float], mask: [Float]
  ) {
    precondition(pixels.count == KaggleDataset.pixelCount && coordinates.count == KaggleDataset.coordinateCount)
    var outPixels = [Float](repeating: 0, count: KaggleDataset.pixelCount)
    var outXY = coordinates
    var outMask = mask
    pixels.withUnsafeBufferPointer { source in
      outPixels.withUnsafeMutableBufferPointer { warp(source.baseAddress!, into: $0.baseAddress!, gain: 1, offset: 0) }
    }
    outXY.withUnsafeMutableBufferPointer { xy in
      outMask.withUnsafeMutableBufferPointer { moveKeypoints(xy.baseAddress!, mask: $0.baseAddress!) }
    }
    return (outPixels, outXY, outMask)
  }

  /// Writes the augmented face as `value * gain + offset` for each 0...255 grey value (the network's input
  /// normalisation folded in). // source (96, 96) UInt8 -> output (96, 96) Float
  func warp(_ source: UnsafePointer<UInt8>, into output: UnsafeMutablePointer<Float>, gain: Float, offset: Float) {
    let side = KaggleDataset.side
    let finish = photometric(gain: gain, offset: offset)

    if isGeometricIdentity {
      for y in 0..<side {
        let row = source + y * side
        let out = output + y * side
        if flip {
          for x in 0..<side { out[x] = finish(Float(row[side - 1 - x])) }
        } else {
          for x in 0..<side { out[x] = finish(Float(row[x])) }
        }
      }
      return
    }
    // Source position of output pixel centre (x + 0.5, y + 0.5) is affine in (x, y): start + x*du + y*dv.
    let origin = inverse(SIMD2(0.5, 0.5))
    let du = inverse(SIMD2(1.5, 0.5)) - origin
    let dv = inverse(SIMD2(0.5, 1.5)) - origin
    let maxIndex = side - 1
    for y in 0..<side {
      var p = origin + Float(y) * dv - SIMD2(0.5, 0.5)  // to pixel-index space
      let out = output + y * side
      for x in 0..<side {
        let fx = p.x.rounded(.down)
        let fy = p.y.rounded(.down)
        let tx = p.x - fx
        let ty = p.y - fy
        let x0 = min(max(Int(fx), 0), maxIndex)
        let x1 = min(max(Int(fx) + 1, 0), maxIndex)
        let y0 = min(max(Int(fy), 0), maxIndex)
        let y1 = min(max(Int(fy) + 1, 0), maxIndex)
        let top = Float(source[y0 * side + x0]) * (1 - tx) + Float(source[y0 * side + x1]) * tx
        let bottom = Float(source[y1 * side + x0]) * (1 - tx) + Float(source[y1 * side + x1]) * tx
        out[x] = finish(top * (1 - ty) + bottom * ty)
        p += du
      }
    }
  }

  /// Photometric change and normalisation in one affine map of a 0...255 grey value, clamped to the output range.
  private func photometric(gain: Float, offset: Float) -> (Float) -> Float {
    let a = contrast * gain
    let b = ((1 - contrast) * 127.5 + brightness * 255) * gain + offset
    let lo = min(offset, 255 * gain + offset)
    let hi = max(offset, 255 * gain + offset)
    return { v in min(max(v * a + b, lo), hi) }
  }

  /// Like `warp(_:into:gain:offset:)`, but draws the face from the full frame it was cut from (`placement` says
  /// where its crop lies there), so whatever the geometry moves into view is the real surroundings. Each output
  /// pixel averages k x k bilinear samples, k about the frame pixels per crop pixel (1...4), as a large face
  /// must be resampled; outside the frame the border pixels are repeated.
  public func warp(
    frame: FaceFrames.Frame, placement: FaceFrames.Placement, into output: UnsafeMutablePointer<Float>, gain: Float,
    offset: Float
  ) {
    let side = KaggleDataset.side
    let finish = photometric(gain: gain, offset: offset)
    // Frame position (pixel-index space) of output point (u, v): origin + u * du + v * dv.
    func map(_ p: SIMD2<Float>) -> SIMD2<Float> { placement.frame(from: inverse(p)) - SIMD2(0.5, 0.5) }
    let origin = map(.zero)
    let du = map(SIMD2(1, 0)) - origin
    let dv = map(SIMD2(0, 1)) - origin
    let stretch = max((du * du).sum(), (dv * dv).sum()).squareRoot()
    let k = max(1, min(4, Int(stretch.rounded())))
    let step = 1 / Float(k)
    let norm = 1 / Float(k * k)
    let (width, height) = (frame.width, frame.height)
    frame.pixels.withUnsafeBufferPointer { pixels in
      let source = pixels.baseAddress!
      @inline(__always) func bilinear(_ p: SIMD2<Float>) -> Float {
        let fx = p.x.rounded(.down), fy = p.y.rounded(.down)
        let tx = p.x - fx, ty = p.y - fy
        let ix = Int(max(min(fx, Float(width)), -1)), iy = Int(max(min(fy, Float(height)), -1))
        let x0 = min(max(ix, 0), width - 1), x1 = min(max(ix + 1, 0), width - 1)
        let y0 = min(max(iy, 0), height - 1), y1 = min(max(iy + 1, 0), height - 1)
        let top = Float(source[y0 * width + x0]) * (1 - tx) + Float(source[y0 * width + x1]) * tx
        let bottom = Float(source[y1 * width + x0]) * (1 - tx) + Float(source[y1 * width + x1]) * tx
        return top * (1 - ty) + bottom * ty
      }
      for y in 0..<side {
        for x in 0..<side {
          var sum: Float = 0
          for j in 0..<k {
            let row = origin + (Float(y) + (Float(j) + 0.5) * step) * dv
            for i in 0..<k { sum += bilinear(row + (Float(x) + (Float(i) + 0.5) * step) * du) }
          }
          output[y * side + x] = finish(sum * norm)
        }
      }
    }
  }

  /// Moves the 30 coordinates in place, swaps left/right pairs when flipping, and masks points pushed out.
  func moveKeypoints(_ xy: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>) {
    movePoints(xy, mask: mask, count: Keypoints.count, flipPairs: Keypoints.flipPairs)
  }

  /// Moves `count` points (x, y) in place, swaps `flipPairs` when flipping, and masks points pushed out.
  func movePoints(_ xy: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>, count: Int, flipPairs: [(Int, Int)]) {
    let side = Float(KaggleDataset.side)
    for k in 0..<count where mask[2 * k] > 0 && mask[2 * k + 1] > 0 {
      let moved = transform(SIMD2(xy[2 * k], xy[2 * k + 1]))
      xy[2 * k] = moved.x
      xy[2 * k + 1] = moved.y
    }
    if flip {
      for (a, b) in flipPairs {
        for axis in 0..<2 {
          swap(&xy[2 * a + axis], &xy[2 * b + axis])
          swap(&mask[2 * a + axis], &mask[2 * b + axis])
        }
      }
    }
    for k in 0..<count {
      let x = xy[2 * k]
      let y = xy[2 * k + 1]
      if mask[2 * k] == 0 || mask[2 * k + 1] == 0 || x < 0 || x > side || y < 0 || y > side || !x.isFinite || !y.isFinite {
        xy[2 * k] = 0
        xy[2 * k + 1] = 0
        mask[2 * k] = 0
        mask[2 * k + 1] = 0
      }
    }
  }
}

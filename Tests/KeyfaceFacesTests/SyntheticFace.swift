// Test doubles for the tracker and pipeline: a "face" that is a bright disc on a dark frame, an estimator
// that measures the disc in each crop (centroid and radius) and returns the mean keypoint layout placed on
// it, and a detector that returns the disc's box and counts its calls. Together they track exactly, so tests
// can check geometry, ids and detector scheduling without a trained model.
import KeyfaceFaces
import KeyfaceMedia
import KeyfaceNN

@testable import KeyfaceDetection

/// A disc face: where its true keypoints are, and how to render it.
struct SyntheticFace {
  /// Disc radius in crop units that the layout's scale corresponds to.
  static let layoutRadius: Float = 28
  var center: SIMD2<Float>
  var radius: Float

  /// The true keypoints: the mean layout centred on the disc, scaled with it.
  var keypoints: [SIMD2<Float>] {
    let mean = KaggleLayout.meanPoints.reduce(SIMD2<Float>(0, 0), +) / Float(KaggleLayout.meanPoints.count)
    return KaggleLayout.meanPoints.map { center + ($0 - mean) * (radius / SyntheticFace.layoutRadius) }
  }

  /// A frame of `width` x `height` with the given discs (anti-aliased) on a dark background.
  static func render(_ faces: [SyntheticFace], width: Int, height: Int) -> GrayImage {
    var image = GrayImage(width: width, height: height, fill: 20)
    for face in faces {
      for y in 0..<height {
        for x in 0..<width {
          let d = ((Float(x) + 0.5 - face.center.x) * (Float(x) + 0.5 - face.center.x)
            + (Float(y) + 0.5 - face.center.y) * (Float(y) + 0.5 - face.center.y)).squareRoot()
          let cover = min(max(face.radius + 0.5 - d, 0), 1)
          if cover > 0 { image[x, y] = UInt8(20 + 200 * cover) }
        }
      }
    }
    return image
  }
}

/// Measures the disc in each crop: intensity-weighted centroid and area of the bright part.
final class DiscEstimator: KeypointEstimating {
  let inputSize = 96
  private(set) var crops = 0

  func estimate(crops buffer: [UInt8], count: Int, points: inout [SIMD2<Float>], scores: inout [Float]) {
    let n = inputSize, k = Keypoints.count
    let mean = KaggleLayout.meanPoints.reduce(SIMD2<Float>(0, 0), +) / Float(k)
    for c in 0..<count {
      crops += 1
      var mass: Float = 0, sum = SIMD2<Float>(0, 0)
      for y in 0..<n {
        for x in 0..<n {
          let w = max(Float(buffer[c * n * n + y * n + x]) - 20, 0) / 200
          mass += w
          sum += w * SIMD2(Float(x) + 0.5, Float(y) + 0.5)
        }
      }
      let found = mass > 40
      let centroid = found ? sum / mass : SIMD2<Float>(48, 48)
      let radius = found ? (mass / Float.pi).squareRoot() : SyntheticFace.layoutRadius
      for i in 0..<k {
        points[c * k + i] = centroid + (KaggleLayout.meanPoints[i] - mean) * (radius / SyntheticFace.layoutRadius)
      }
      scores[c] = found ? 0.9 : 0.05
    }
  }
}

/// Returns the boxes of the discs it is told about (or, with `locate`, the bounding box of the bright pixels it
/// sees) and counts its calls.
final class CountingFinder: FaceFinding {
  var faces: [SyntheticFace] = []
  var locate = false
  private(set) var calls = 0
  /// Calls that came through `detectQuickly` (also counted in `calls`).
  private(set) var quickCalls = 0

  func detectQuickly(in image: GrayImage) -> [FaceBox] {
    quickCalls += 1
    return detect(in: image)
  }

  func detect(in image: GrayImage) -> [FaceBox] {
    calls += 1
    if locate {
      var lo = SIMD2<Int>(Int.max, Int.max), hi = SIMD2<Int>(-1, -1)
      for y in 0..<image.height {
        for x in 0..<image.width where image[x, y] > 120 {
          lo = pointwiseMin(lo, SIMD2(x, y))
          hi = pointwiseMax(hi, SIMD2(x, y))
        }
      }
      guard hi.x >= 0 else { return [] }
      return [FaceBox(x: Float(lo.x), y: Float(lo.y), width: Float(hi.x - lo.x + 1), height: Float(hi.y - lo.y + 1))]
    }
    return faces.map {
      FaceBox(x: $0.center.x - $0.radius, y: $0.center.y - $0.radius, width: 2 * $0.radius, height: 2 * $0.radius)
    }
  }
}

// How far a first estimate of the keypoints lies from the truth, as measured: the mean and covariance of the 30
// error numbers in crop units (each face's errors turned and scaled by the similarity that frames its true
// keypoints onto Kaggle's layout). The refinement network trains on first estimates drawn from it, so it learns
// to correct the errors the pipeline makes rather than guessed ones. `scripts/estimate_errors.py` measures it from
// `keyface run` lines and the true keypoints.
import Foundation
import KeyfaceNN

/// A Gaussian model of first-estimate errors in 96-px crop units.
public struct EstimateErrors: Codable, Equatable {
  /// Faces measured.
  public var count: Int
  /// What was measured, e.g. "keyface run on 760 photos and 2,400 clip frames of the validation people".
  public var source: String
  /// Mean error, 30 numbers (x, y per keypoint, Kaggle's order).
  public var mean: [Float]
  /// 30 x 30 covariance.
  public var covariance: [[Float]]

  public init(count: Int, source: String, mean: [Float], covariance: [[Float]]) {
    self.count = count
    self.source = source
    self.mean = mean
    self.covariance = covariance
  }

  /// Reads the JSON `scripts/estimate_errors.py` writes.
  /// - Throws: `TrainingError` naming the file.
  public init(contentsOf path: String) throws {
    let decoded: EstimateErrors
    do {
      decoded = try JSONDecoder().decode(EstimateErrors.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      throw TrainingError("\(path): not an estimate-error model (\(error.localizedDescription))")
    }
    self = decoded
    guard cholesky() != nil else { throw TrainingError("\(path): the covariance is not 30 x 30 positive definite") }
  }

  /// The lower-triangular L with L Lᵀ = covariance (row-major, 30 x 30), nil when it is not positive definite.
  public func cholesky() -> [Double]? {
    let n = 2 * Keypoints.count
    guard mean.count == n, covariance.count == n, covariance.allSatisfy({ $0.count == n }) else { return nil }
    var l = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      for j in 0...i {
        var sum = Double(covariance[i][j])
        for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
        if i == j {
          guard sum > 0, sum.isFinite else { return nil }
          l[i * n + i] = sum.squareRoot()
        } else {
          l[i * n + j] = sum / l[j * n + j]
        }
      }
    }
    return l
  }
}

/// Draws error vectors from an `EstimateErrors` model.
struct ErrorSampler {
  let mean: [Float]
  let lower: [Double]
  let scale: Float

  init(_ model: EstimateErrors, scale: Float) {
    mean = model.mean
    lower = model.cholesky() ?? []
    self.scale = scale
  }

  /// 15 error vectors in crop units: scale * (mean + L z), z standard normal.
  func sample(using random: inout SeededRandom) -> [SIMD2<Float>] {
    let n = mean.count
    var z = [Double](repeating: 0, count: n)
    var i = 0
    while i < n {
      // Box-Muller: two normals from two uniforms.
      let u1 = max(Double(random.uniform(0, 1)), 1e-12), u2 = Double(random.uniform(0, 1))
      let r = (-2 * log(u1)).squareRoot()
      z[i] = r * cos(2 * .pi * u2)
      if i + 1 < n { z[i + 1] = r * sin(2 * .pi * u2) }
      i += 2
    }
    var e = [Float](repeating: 0, count: n)
    for row in 0..<n {
      var sum = 0.0
      for k in 0...row { sum += lower[row * n + k] * z[k] }
      e[row] = scale * (mean[row] + Float(sum))
    }
    return (0..<(n / 2)).map { SIMD2(e[2 * $0], e[2 * $0 + 1]) }
  }
}

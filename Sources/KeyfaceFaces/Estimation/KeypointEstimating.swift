import KeyfaceNN

/// Anything that predicts the 15 keypoints and a face score on square grey crops: the CNN's
/// `KeypointPredictor`, or a stand-in in tests.
public protocol KeypointEstimating: AnyObject {
  /// Side of the square input crops in pixels, e.g. 96.
  var inputSize: Int { get }

  /// Predicts keypoints for `count` crops stored one after another in `crops` (`count * inputSize²` bytes).
  ///
  /// Writes `Keypoints.count` points per crop into `points` (crop coordinates, 0...inputSize) and one score
  /// in 0...1 per crop into `scores`; both arrays are already large enough.
  func estimate(crops: [UInt8], count: Int, points: inout [SIMD2<Float>], scores: inout [Float])

  /// The horizontal calibration already added to every x (crop pixels, e.g. 0.45; see
  /// `Network.horizontalOffset`): a mirror image's answer is mapped back about `inputSize + 2 * horizontalOffset`
  /// so that averaging with it keeps the calibration.
  var horizontalOffset: Float { get }
}

extension KeypointEstimating {
  /// None by default.
  public var horizontalOffset: Float { 0 }
}

extension KeypointPredictor: KeypointEstimating {
  /// Runs the network on `count` crops, in batches the predictor accepts.
  public func estimate(crops: [UInt8], count: Int, points: inout [SIMD2<Float>], scores: inout [Float]) {
    let area = inputSize * inputSize
    let k = Keypoints.count
    precondition(crops.count >= count * area && points.count >= count * k && scores.count >= count)
    crops.withUnsafeBufferPointer { c in
      points.withUnsafeMutableBufferPointer { p in
        scores.withUnsafeMutableBufferPointer { s in
          predict(
            crops: UnsafeBufferPointer(rebasing: c[0..<(count * area)]), count: count,
            points: UnsafeMutableBufferPointer(rebasing: p[0..<(count * k)]),
            scores: UnsafeMutableBufferPointer(rebasing: s[0..<count]))
        }
      }
    }
  }
}

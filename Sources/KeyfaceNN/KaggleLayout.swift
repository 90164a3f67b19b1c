// Where the 15 keypoints sit in a Kaggle-style 96×96 training crop, on average, and the crop that
// puts a face's keypoints there: the framing every kaggle15 crop was made with (least-squares scale
// and shift, no rotation), so a crop re-framed this way looks like the training data.

/// The mean keypoint layout of the 96×96 training crops and the crop that matches it.
public enum KaggleLayout {
  /// Side of a training crop in pixels.
  public static let cropSize: Float = 96

  /// Where a crop puts each of the 15 keypoints (Kaggle's column order, `Keypoints.names`), in 96-px crop
  /// units with the origin at the crop's top-left corner: the layout every kaggle15 crop was fitted onto
  /// (Kaggle's mean keypoints). `scripts/detector_eval.py` recovers it from the 4,653 kaggle15 rows and their
  /// 68-point frames; fitting a face's true keypoints onto it reproduces its kaggle15 crop to 0.02 px.
  public static let meanPoints: [SIMD2<Float>] = [
    SIMD2(66.3591, 37.6498), SIMD2(30.3116, 37.9797),  // left / right eye centre
    SIMD2(59.1607, 37.9397), SIMD2(73.3301, 37.7110),  // left eye inner / outer corner
    SIMD2(36.6494, 37.9904), SIMD2(22.3791, 38.0293),  // right eye inner / outer corner
    SIMD2(56.0699, 29.3297), SIMD2(79.4802, 29.7296),  // left eyebrow inner / outer end
    SIMD2(39.3201, 29.5005), SIMD2(15.8700, 30.4303),  // right eyebrow inner / outer end
    SIMD2(48.3696, 62.7202),  // nose tip
    SIMD2(63.2900, 75.9702), SIMD2(32.8997, 76.1802),  // mouth left / right corner
    SIMD2(47.9798, 72.9199), SIMD2(48.5707, 78.9697),  // mouth centre top / bottom lip
  ]

  /// The mean of each keypoint over the kaggle15 crops themselves (same order and units). It differs from
  /// `meanPoints` by up to 4.5 px (nose tip) because each crop is a least-squares fit, not an exact one;
  /// fitting onto it lands keypoints about 1.2 px away from where the training crops put them.
  public static let datasetMeanPoints: [SIMD2<Float>] = [
    SIMD2(64.5380, 38.5125), SIMD2(31.1661, 38.9225),
    SIMD2(57.8210, 39.0458), SIMD2(70.8658, 38.2495),
    SIMD2(37.7336, 39.3213), SIMD2(24.7998, 38.7696),
    SIMD2(56.3635, 28.1622), SIMD2(77.9451, 30.2342),
    SIMD2(38.9037, 28.5137), SIMD2(17.0871, 30.9307),
    SIMD2(48.6402, 58.1981),
    SIMD2(62.2417, 74.9911), SIMD2(34.5071, 75.3296),
    SIMD2(48.6185, 71.5263), SIMD2(48.8089, 82.3430),
  ]

  /// The square crop, in frame pixels, whose least-squares scale-and-shift mapping takes `points`
  /// (the 15 keypoints in frame pixels, Kaggle's order) closest to `meanPoints`.
  ///
  /// Returns nil when the points have no spread (all equal), which fixes no scale.
  public static func crop(fitting points: [SIMD2<Float>]) -> (centerX: Float, centerY: Float, side: Float)? {
    precondition(points.count == meanPoints.count, "KaggleLayout.crop needs the 15 keypoints")
    let n = Float(points.count)
    let pointMean = points.reduce(SIMD2<Float>.zero, +) / n
    let layoutMean = meanPoints.reduce(SIMD2<Float>.zero, +) / n
    var cross: Float = 0
    var spread: Float = 0
    for (p, m) in zip(points, meanPoints) {
      let dp = p - pointMean
      cross += (dp * (m - layoutMean)).sum()
      spread += (dp * dp).sum()
    }
    guard spread > 0, cross > 0 else { return nil }
    // crop = scale · frame + shift; the crop's centre (48, 48) and side 96 back in frame pixels.
    let scale = cross / spread
    let shift = layoutMean - scale * pointMean
    let center = (SIMD2<Float>(repeating: cropSize / 2) - shift) / scale
    return (center.x, center.y, cropSize / scale)
  }
}

/// The 15 facial keypoints of Kaggle's "Facial Keypoints Detection", in Kaggle's column order.
///
/// "Left" and "right" are the subject's: `left_eye_center` appears on the image's right.
public enum Keypoints {
  /// Keypoint names in Kaggle's column order (`left_eye_center` first, `mouth_center_bottom_lip` last).
  public static let names: [String] = [
    "left_eye_center", "right_eye_center",
    "left_eye_inner_corner", "left_eye_outer_corner",
    "right_eye_inner_corner", "right_eye_outer_corner",
    "left_eyebrow_inner_end", "left_eyebrow_outer_end",
    "right_eyebrow_inner_end", "right_eyebrow_outer_end",
    "nose_tip",
    "mouth_left_corner", "mouth_right_corner",
    "mouth_center_top_lip", "mouth_center_bottom_lip",
  ]

  /// Number of keypoints (15); the network predicts `2 * count` coordinates.
  public static var count: Int { names.count }

  /// Index pairs that swap under a horizontal flip (subject's left <-> right).
  public static let flipPairs: [(Int, Int)] = [(0, 1), (2, 4), (3, 5), (6, 8), (7, 9), (11, 12)]

  /// The keypoints of a picture `width` pixels wide as they are in its mirror image: x -> width - x (the origin is
  /// the top-left pixel's corner) and every left/right pair swapped, so the subject's left eye stays
  /// `left_eye_center`. Applied to the points predicted on a mirrored picture, it maps them back.
  public static func mirrored(_ points: some Collection<SIMD2<Float>>, width: Float) -> [SIMD2<Float>] {
    var out = points.map { SIMD2(width - $0.x, $0.y) }
    for (l, r) in flipPairs { out.swapAt(l, r) }
    return out
  }

  /// Which side of the face each keypoint is on, for drawing: -1 subject's right, 0 midline, +1 subject's left.
  public static let side: [Int] = [1, -1, 1, 1, -1, -1, 1, 1, -1, -1, 0, 1, -1, 0, 0]
}

// From a detector box to the crop the keypoint network expects.
//
// The kaggle15 training crops are framed from the true keypoints (least-squares scale and shift onto
// `KaggleLayout.meanPoints`). A Haar box is framed by the cascade instead, so the mapping between
// the two was measured on faces68 by `scripts/detector_eval.py`: for 4,479 faces the detector found
// (of 4,653), the box and the face's actual kaggle15 crop give
//   crop centre = (x + 0.5098 w, y + 0.5006 h), crop side = 1.0334 w
// (per-face means; medians 0.509, 0.503, 1.027). What is left is per-face scatter, in 96-px crop units:
// centre sd 3.3 px across and 2.5 px down (90% within 4.4 and 3.0 px), side sd 10.6% (90% within 15%);
// 3.2 / 1.8 px and 9% on ytf video frames, up to 4.5 px and 14% on AFW/HELEN portraits. A crop cut this
// way is therefore a first estimate: the second pass, re-framed from the first pass's keypoints, removes
// the scatter.
import KeyfaceDetection
import KeyfaceNN


/// The box-to-crop mapping measured for OpenCV's frontal face cascade on faces68.
public enum DetectorCalibration {
  /// Crop centre x = box.x + centerX · box.width.
  public static let centerX: Float = 0.5098
  /// Crop centre y = box.y + centerY · box.height.
  public static let centerY: Float = 0.5006
  /// Crop side = side · box.width.
  public static let side: Float = 1.0334

  /// The square crop, in frame pixels, that frames the face in `box` as Kaggle's 96×96 training crops do.
  public static func kaggleCrop(for box: FaceBox) -> (centerX: Float, centerY: Float, side: Float) {
    (box.x + centerX * box.width, box.y + centerY * box.height, side * box.width)
  }
}

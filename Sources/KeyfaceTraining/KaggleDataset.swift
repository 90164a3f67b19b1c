import KeyfaceNN

/// Faces in Kaggle's "Facial Keypoints Detection" format: 96x96 grey crops with up to 15 keypoints each.
///
/// Holds `training.csv` (30 keypoint columns and `Image`) and `test.csv` (`ImageId` and `Image`) alike;
/// a missing keypoint coordinate is stored as 0 with mask 0.
public struct KaggleDataset {
  /// Side of every crop in pixels (96).
  public static let side = 96
  /// Pixels per crop (9,216).
  public static let pixelCount = side * side
  /// Keypoint coordinates per face (30): `x, y` for each name of `Keypoints.names`, in that order.
  public static let coordinateCount = 2 * Keypoints.count

  /// Grey pixels, row-major, `count * 9216` bytes. // (N, 96, 96)
  public var pixels: [UInt8]
  /// Keypoint coordinates in 96-px units (x then y per keypoint), 0 where missing. // (N, 30)
  public var coordinates: [Float]
  /// 1 where the coordinate is present, 0 where the cell was empty. // (N, 30)
  public var mask: [Float]
  /// The `ImageId` column when the file has one (test.csv), else 1-based row numbers.
  public var imageIds: [Int]
  /// Whether the file had keypoint columns (training.csv) or not (test.csv).
  public var hasKeypoints: Bool

  /// Number of faces.
  public var count: Int { imageIds.count }

  /// Creates an empty dataset.
  public init(hasKeypoints: Bool = true) {
    pixels = []
    coordinates = []
    mask = []
    imageIds = []
    self.hasKeypoints = hasKeypoints
  }

  /// Appends one face; `coordinates` and `mask` hold 30 values, `pixels` 9,216.
  public mutating func append(pixels face: [UInt8], coordinates xy: [Float], mask present: [Float], imageId: Int) {
    precondition(face.count == Self.pixelCount && xy.count == Self.coordinateCount && present.count == xy.count)
    pixels.append(contentsOf: face)
    coordinates.append(contentsOf: xy)
    mask.append(contentsOf: present)
    imageIds.append(imageId)
  }

  /// The faces at `indices`, in that order.
  public func subset(_ indices: [Int]) -> KaggleDataset {
    var out = KaggleDataset(hasKeypoints: hasKeypoints)
    out.pixels.reserveCapacity(indices.count * Self.pixelCount)
    for i in indices {
      out.pixels.append(contentsOf: pixels[i * Self.pixelCount..<(i + 1) * Self.pixelCount])
      out.coordinates.append(contentsOf: coordinates[i * Self.coordinateCount..<(i + 1) * Self.coordinateCount])
      out.mask.append(contentsOf: mask[i * Self.coordinateCount..<(i + 1) * Self.coordinateCount])
      out.imageIds.append(imageIds[i])
    }
    return out
  }
}

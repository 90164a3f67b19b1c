// The full frames the training faces were cut from, so augmentation can draw its crops from them: a shifted,
// scaled or rotated crop then shows the real surroundings of the face rather than repeated border pixels (what
// a crop of a video frame shows), and a large face is resampled from its full resolution.
import KeyfaceNN

/// Grey frames and, for each training face, the frame it is in and where its 96x96 crop lies there.
public struct FaceFrames {
  /// One grey picture, row-major.
  public struct Frame {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
      precondition(width > 0 && height > 0 && pixels.count == width * height, "FaceFrames.Frame: size")
      self.width = width
      self.height = height
      self.pixels = pixels
    }
  }

  /// Where a face's crop lies in its frame: frame point = crop point * scale + shift (the crops are scaled and
  /// shifted, never rotated), in pixel-corner coordinates.
  public struct Placement: Equatable {
    public var frame: Int
    public var scale: Float
    public var shift: SIMD2<Float>

    /// Maps a crop point to its frame.
    public func frame(from crop: SIMD2<Float>) -> SIMD2<Float> { crop * scale + shift }
  }

  public let frames: [Frame]
  /// One per face row of the dataset.
  public let placements: [Placement]

  public init(frames: [Frame], placements: [Placement]) {
    precondition(placements.allSatisfy { frames.indices.contains($0.frame) && $0.scale > 0 }, "FaceFrames: placement")
    self.frames = frames
    self.placements = placements
  }

  /// Places every face of `faces` in its frame by fitting its crop keypoints (the dataset's coordinates) onto the
  /// same keypoints in frame pixels, `framePoints[row]` (15 points, Kaggle's order), by least squares.
  /// - Throws: `TrainingError` naming the first row whose points do not fit a scale and shift (residual over 1 px).
  public init(frames: [Frame], frameOfRow: [Int], framePoints: [[SIMD2<Float>]], faces: KaggleDataset) throws {
    guard frameOfRow.count == faces.count else {
      throw TrainingError("the frames list \(frameOfRow.count) faces, the training data \(faces.count)")
    }
    guard frameOfRow.allSatisfy(frames.indices.contains) else { throw TrainingError("a face's frame is missing") }
    let placements = try FaceFrames.placements(framePoints: framePoints, faces: faces)
    self.init(
      frames: frames,
      placements: zip(frameOfRow, placements).map { Placement(frame: $0, scale: $1.scale, shift: $1.shift) })
  }

  /// Where each face's crop lies in its frame (`frame` left 0): the least-squares scale and shift taking its crop
  /// keypoints (the dataset's coordinates) onto `framePoints[row]` (15 points, Kaggle's order, frame pixels).
  /// - Throws: `TrainingError` naming the first row whose points do not fit a scale and shift (residual over 1 px).
  public static func placements(framePoints: [[SIMD2<Float>]], faces: KaggleDataset) throws -> [Placement] {
    guard framePoints.count == faces.count else {
      throw TrainingError("the landmarks list \(framePoints.count) faces, the training data \(faces.count)")
    }
    let k = Keypoints.count
    var placements: [Placement] = []
    placements.reserveCapacity(faces.count)
    for row in 0..<faces.count {
      var crop: [SIMD2<Float>] = []
      var frame: [SIMD2<Float>] = []
      for j in 0..<k where faces.mask[row * 2 * k + 2 * j] > 0 && faces.mask[row * 2 * k + 2 * j + 1] > 0 {
        crop.append(SIMD2(faces.coordinates[row * 2 * k + 2 * j], faces.coordinates[row * 2 * k + 2 * j + 1]))
        frame.append(framePoints[row][j])
      }
      guard let fit = FaceFrames.fit(crop: crop, frame: frame) else {
        throw TrainingError("face \(row + 1): its keypoints do not place it in its frame")
      }
      let placement = Placement(frame: 0, scale: fit.scale, shift: fit.shift)
      let residual = zip(crop, frame).map { ((placement.frame(from: $0) - $1) * (placement.frame(from: $0) - $1)).sum() }
      guard residual.max()! <= 1 else {
        throw TrainingError("face \(row + 1): its crop is not a scale and shift of its frame (residual > 1 px)")
      }
      placements.append(placement)
    }
    return placements
  }

  /// The least-squares scale and shift taking `crop` points onto `frame` points; nil without spread.
  static func fit(crop: [SIMD2<Float>], frame: [SIMD2<Float>]) -> (scale: Float, shift: SIMD2<Float>)? {
    guard crop.count >= 2, crop.count == frame.count else { return nil }
    let n = Float(crop.count)
    let cropMean = crop.reduce(.zero, +) / n
    let frameMean = frame.reduce(.zero, +) / n
    var cross: Float = 0
    var spread: Float = 0
    for (c, f) in zip(crop, frame) {
      cross += ((c - cropMean) * (f - frameMean)).sum()
      spread += ((c - cropMean) * (c - cropMean)).sum()
    }
    guard spread > 0, cross > 0 else { return nil }
    let scale = cross / spread
    return (scale, frameMean - scale * cropMean)
  }
}

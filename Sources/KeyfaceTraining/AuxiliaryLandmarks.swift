// Extra points per face that training regresses beside the 15 keypoints, as an auxiliary task: the 68 iBUG
// landmarks trace the eyebrows, eyelids, nose and lips whose ends and centres the keypoints are, so learning them
// teaches the network the shape around each keypoint. Only training sees them: the saved model predicts the 15.
import KeyfaceNN

/// Per-face auxiliary points in crop pixels, with their left/right pairs for flips.
public struct AuxiliaryLandmarks {
  /// Points per face (68).
  public let pointCount: Int
  /// `2 * pointCount` coordinates (x, y) per face row, in 96-px crop units like the dataset's keypoints.
  public let coordinates: [Float]
  /// Index pairs that swap under a horizontal flip (subject's left <-> right).
  public let flipPairs: [(Int, Int)]

  /// Points for `coordinates.count / (2 * pointCount)` faces; `flipPairs` must index points.
  public init(pointCount: Int, coordinates: [Float], flipPairs: [(Int, Int)]) {
    precondition(pointCount > 0 && coordinates.count % (2 * pointCount) == 0, "AuxiliaryLandmarks: shape")
    precondition(flipPairs.allSatisfy { (0..<pointCount).contains($0.0) && (0..<pointCount).contains($0.1) })
    self.pointCount = pointCount
    self.coordinates = coordinates
    self.flipPairs = flipPairs
  }

  /// Number of faces.
  public var count: Int { coordinates.count / (2 * pointCount) }

  /// The 68 iBUG landmarks of each face, given in frame pixels (`framePoints68[row]`), moved into the face's
  /// crop by its placement (see `FaceFrames.placements`).
  public static func ibug68(framePoints68: [[SIMD2<Float>]], placements: [FaceFrames.Placement]) -> AuxiliaryLandmarks {
    precondition(framePoints68.count == placements.count && framePoints68.allSatisfy { $0.count == 68 })
    var coordinates: [Float] = []
    coordinates.reserveCapacity(136 * placements.count)
    for (points, placement) in zip(framePoints68, placements) {
      for p in points {
        let crop = (p - placement.shift) / placement.scale
        coordinates += [crop.x, crop.y]
      }
    }
    return AuxiliaryLandmarks(pointCount: 68, coordinates: coordinates, flipPairs: ibug68FlipPairs)
  }

  /// The mirror pairs of the iBUG 68-point scheme (0-based): jaw, eyebrows, nostrils, eyes, outer and inner lips.
  public static let ibug68FlipPairs: [(Int, Int)] =
    (0..<8).map { ($0, 16 - $0) } + (17..<22).map { ($0, 43 - $0) } + [(31, 35), (32, 34)]
    + [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]
    + [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58), (60, 64), (61, 63), (65, 67)]
}

/// What to draw besides the keypoints (`--draw box,id,labels`).
public enum DrawElement: String, CaseIterable, Sendable {
  /// The face box.
  case box
  /// The face's id and score above its box.
  case id
  /// A short name beside each keypoint (LE = left eye centre, MT = mouth top lip, ...).
  case labels
}

import KeyfaceNN

/// Several networks on the same crops, their keypoints and scores averaged: an ensemble, for the final pass on a
/// photo where time matters less than accuracy.
public final class AveragingEstimator: KeypointEstimating {
  /// The estimators averaged, all with the same input size.
  public let members: [KeypointEstimating]
  private var points: [SIMD2<Float>] = []
  private var scores: [Float] = []

  /// Averages `members` (at least one, all with the same input size).
  public init(_ members: [KeypointEstimating]) {
    precondition(!members.isEmpty, "AveragingEstimator needs at least one estimator")
    precondition(Set(members.map(\.inputSize)).count == 1, "AveragingEstimator: input sizes differ")
    self.members = members
  }

  public var inputSize: Int { members[0].inputSize }

  /// The members' mean calibration (the averaged points carry exactly that).
  public var horizontalOffset: Float { members.map(\.horizontalOffset).reduce(0, +) / Float(members.count) }

  public func estimate(crops: [UInt8], count: Int, points output: inout [SIMD2<Float>], scores outScores: inout [Float]) {
    guard count > 0 else { return }
    let k = Keypoints.count
    if points.count < count * k { points = [SIMD2<Float>](repeating: .zero, count: count * k) }
    if scores.count < count { scores = [Float](repeating: 0, count: count) }
    members[0].estimate(crops: crops, count: count, points: &output, scores: &outScores)
    for member in members.dropFirst() {
      member.estimate(crops: crops, count: count, points: &points, scores: &scores)
      for i in 0..<(count * k) { output[i] += points[i] }
      for i in 0..<count { outScores[i] += scores[i] }
    }
    let share = 1 / Float(members.count)
    for i in 0..<(count * k) { output[i] *= share }
    for i in 0..<count { outScores[i] *= share }
  }
}

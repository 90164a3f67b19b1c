import Foundation
import KeyfaceNN

/// Accumulates Kaggle's score: root-mean-square error in 96-px units over the coordinates that are present.
public struct KeypointErrors: Equatable {
  /// Sum of squared errors per coordinate (x, y for each keypoint). // (30)
  public private(set) var squaredSums: [Double]
  /// Number of present values per coordinate. // (30)
  public private(set) var counts: [Int]
  /// Number of faces added.
  public private(set) var faces: Int

  /// Creates an empty accumulator.
  public init() {
    squaredSums = [Double](repeating: 0, count: KaggleDataset.coordinateCount)
    counts = [Int](repeating: 0, count: KaggleDataset.coordinateCount)
    faces = 0
  }

  /// Adds one face: 30 predicted and true coordinates, and the mask of true ones present.
  public mutating func add<P: Collection, T: Collection, M: Collection>(predicted: P, truth: T, mask: M)
  where P.Element == Float, T.Element == Float, M.Element == Float {
    for (k, ((p, t), m)) in zip(zip(predicted, truth), mask).enumerated() where m > 0 && k < counts.count {
      let d = Double(p) - Double(t)
      squaredSums[k] += d * d
      counts[k] += 1
    }
    faces += 1
  }

  /// Number of present coordinates scored.
  public var count: Int { counts.reduce(0, +) }

  /// RMSE over every present coordinate, in px; NaN when nothing was scored.
  public var rmse: Double {
    let n = count
    return n == 0 ? .nan : (squaredSums.reduce(0, +) / Double(n)).squareRoot()
  }

  /// RMSE of each keypoint's x and y together, in px, keyed by `Keypoints.names`; keypoints never present are left out.
  public var perKeypoint: [String: Double] {
    var result: [String: Double] = [:]
    for (k, name) in Keypoints.names.enumerated() {
      let n = counts[2 * k] + counts[2 * k + 1]
      if n > 0 { result[name] = ((squaredSums[2 * k] + squaredSums[2 * k + 1]) / Double(n)).squareRoot() }
    }
    return result
  }

  /// One JSON object: `{"rmse":…,"per_keypoint":{name: rmse},"count":…,"faces":…}` in `Keypoints.names` order.
  public var json: String {
    func number(_ v: Double) -> String { v.isFinite ? String(format: "%.4f", v) : "null" }
    let per = perKeypoint
    let items = Keypoints.names.compactMap { name in per[name].map { "\"\(name)\":\(number($0))" } }
    return "{\"rmse\":\(number(rmse)),\"per_keypoint\":{\(items.joined(separator: ","))},\"count\":\(count),\"faces\":\(faces)}"
  }
}

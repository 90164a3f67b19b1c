import Foundation
import KeyfaceNN

/// Runs a network over faces of a `KaggleDataset` in batches and returns keypoints in crop pixels.
public struct DatasetPredictor {
  /// The network (inference mode is used).
  public let network: Network
  /// Faces per forward pass (64).
  public var batchSize: Int
  /// Also predict each face mirrored and average the two answers (mirrored back about 96 plus twice the
  /// network's `horizontalOffset`, left/right pairs swapped).
  public var flipAverage = false

  /// Creates a predictor.
  public init(network: Network, batchSize: Int = 64) {
    self.network = network
    self.batchSize = max(1, batchSize)
  }

  /// Predicted coordinates (30 per face, 96-px units) and face scores (0...1, nil without a score output)
  /// for the faces at `indices` (all faces when nil), in that order.
  public func predict(_ data: KaggleDataset, indices: [Int]? = nil) -> (coordinates: [Float], scores: [Float]?) {
    let rows = indices ?? Array(0..<data.count)
    let architecture = network.architecture
    let outputs = architecture.outputCount
    let offset = network.horizontalOffset
    let coordinateCount = KaggleDataset.coordinateCount
    var coordinates = [Float](repeating: 0, count: rows.count * coordinateCount)
    var scores: [Float]? = architecture.hasScore ? [Float](repeating: 0, count: rows.count) : nil
    var start = 0
    while start < rows.count {
      let batch = Array(rows[start..<min(start + batchSize, rows.count)])
      let input = BatchBuilder.input(data, rows: batch, architecture: architecture)
      let output = network.forward(input, training: false)  // (B, outputs)
      let mirrored = flipAverage ? network.forward(BatchBuilder.mirrored(input), training: false) : nil
      for (b, _) in batch.enumerated() {
        // Network outputs to 96-px coordinates (and the score logit, last when present).
        let px = { (o: Tensor, k: Int) in
          o.data[b * outputs + k] * architecture.targetScale + architecture.targetCenter + (k % 2 == 0 ? offset : 0)
        }
        var points = (0..<Keypoints.count).map { SIMD2(px(output, 2 * $0), px(output, 2 * $0 + 1)) }
        var logit = architecture.hasScore ? output.data[b * outputs + outputs - 1] : 0
        if let mirrored {
          let seen = (0..<Keypoints.count).map { SIMD2(px(mirrored, 2 * $0), px(mirrored, 2 * $0 + 1)) }
          let back = Keypoints.mirrored(seen, width: Float(KaggleDataset.side) + 2 * offset)
          points = zip(points, back).map { ($0 + $1) / 2 }
          if architecture.hasScore { logit = (logit + mirrored.data[b * outputs + outputs - 1]) / 2 }
        }
        for (k, p) in points.enumerated() {
          coordinates[(start + b) * coordinateCount + 2 * k] = p.x
          coordinates[(start + b) * coordinateCount + 2 * k + 1] = p.y
        }
        if architecture.hasScore {
          scores![start + b] = 1 / (1 + expf(-logit))
        }
      }
      start += batch.count
    }
    return (coordinates, scores)
  }

  /// The mean x error (prediction minus truth, crop pixels, over present coordinates) on the faces at `indices`
  /// (all when nil): what `Network.horizontalOffset` should remove.
  public func meanHorizontalError(on data: KaggleDataset, indices: [Int]? = nil) -> Float {
    let rows = indices ?? Array(0..<data.count)
    let predicted = predict(data, indices: rows).coordinates
    let n = KaggleDataset.coordinateCount
    var sum = 0.0
    var count = 0
    for (i, row) in rows.enumerated() {
      for j in stride(from: 0, to: n, by: 2) where data.mask[row * n + j] > 0 {
        sum += Double(predicted[i * n + j] - data.coordinates[row * n + j])
        count += 1
      }
    }
    return count == 0 ? 0 : Float(sum / Double(count))
  }

  /// Kaggle RMSE of the network on the faces at `indices` (all when nil).
  public func errors(on data: KaggleDataset, indices: [Int]? = nil) -> KeypointErrors {
    let rows = indices ?? Array(0..<data.count)
    let predicted = predict(data, indices: rows).coordinates
    var errors = KeypointErrors()
    let n = KaggleDataset.coordinateCount
    for (i, row) in rows.enumerated() {
      errors.add(
        predicted: predicted[i * n..<(i + 1) * n], truth: data.coordinates[row * n..<(row + 1) * n],
        mask: data.mask[row * n..<(row + 1) * n])
    }
    return errors
  }
}

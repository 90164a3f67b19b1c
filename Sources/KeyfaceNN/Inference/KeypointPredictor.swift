// Fast inference on 96x96 UInt8 crops: normalises the bytes, runs an InferencePlan (batch norm folded, ReLU
// deferred, channel-major layout, buffers sized for `maxBatch`, so `predict` does not allocate) and maps the
// outputs to crop pixels and a face score.
import Foundation

/// Predicts keypoints (in crop pixels) and a face score for batches of grey crops.
///
/// Holds a snapshot of the network's weights taken at init. Not thread-safe: use one predictor per thread.
public final class KeypointPredictor {
  /// The architecture of the network the predictor was built from.
  public let architecture: Architecture
  /// Largest batch processed in one pass; larger requests are split.
  public let maxBatch: Int

  /// Crop pixels added to every x (the network's `horizontalOffset`, e.g. 0.45).
  public let horizontalOffset: Float
  private let plan: InferencePlan
  private let inputCount: Int  // C*H*W per crop
  private let outputCount: Int

  /// Compiles `network` for inference with buffers for `maxBatch` crops.
  public init(network: Network, maxBatch: Int = 32) {
    require(maxBatch > 0, "KeypointPredictor: maxBatch must be positive")
    architecture = network.architecture
    self.maxBatch = maxBatch
    plan = InferencePlan(network: network, maxBatch: maxBatch)
    horizontalOffset = network.horizontalOffset
    inputCount = plan.inputShape.reduce(1, *)
    outputCount = architecture.outputCount
  }

  /// Side of the square crop the network expects (96).
  public var inputSize: Int { architecture.inputSize }

  /// Keypoints per crop (15).
  public var keypointCount: Int { architecture.keypointCount }

  /// Predicts `count` crops at once.
  ///
  /// - Parameters:
  ///   - crops: `count * inputSize * inputSize` grey bytes (times channels), row-major, crop after crop.
  ///   - points: receives `count * keypointCount` points, (x, y) in crop pixels with the origin at the top-left
  ///     corner of the top-left pixel, in Kaggle's keypoint order.
  ///   - scores: receives `count` face scores in 0...1 (sigmoid of the last output; 1 when the model has none).
  public func predict(
    crops: UnsafeBufferPointer<UInt8>, count: Int, points: UnsafeMutableBufferPointer<SIMD2<Float>>,
    scores: UnsafeMutableBufferPointer<Float>
  ) {
    require(crops.count >= count * inputCount, "KeypointPredictor.predict: crops holds \(crops.count) bytes, needs \(count * inputCount)")
    require(points.count >= count * keypointCount, "KeypointPredictor.predict: points too small")
    require(scores.count >= count, "KeypointPredictor.predict: scores too small")
    guard count > 0 else { return }
    let scale = architecture.inputScale
    let offset = architecture.inputOffset
    let center = architecture.targetCenter
    let targetScale = architecture.targetScale
    let xCenter = center + horizontalOffset
    let keypoints = keypointCount
    let hasScore = architecture.hasScore
    let source = crops.baseAddress!
    var start = 0
    while start < count {
      let batch = min(maxBatch, count - start)
      // Bytes (N, C, H, W) -> normalised floats in the plan's channel-major (C, N, H, W) layout.
      let input = plan.input
      let bytes = source + start * inputCount
      let channels = plan.inputShape[0]
      let plane = inputCount / channels
      for n in 0..<batch {
        for c in 0..<channels {
          let src = bytes + (n * channels + c) * plane
          let dst = input + (c * batch + n) * plane
          for i in 0..<plane { dst[i] = Float(src[i]) * scale + offset }
        }
      }
      let output = plan.run(batch: batch)
      for n in 0..<batch {
        let row = output + n * outputCount
        for k in 0..<keypoints {
          points[(start + n) * keypoints + k] = SIMD2(
            row[2 * k] * targetScale + xCenter, row[2 * k + 1] * targetScale + center)
        }
        scores[start + n] = hasScore ? 1 / (1 + exp(-row[outputCount - 1])) : 1
      }
      start += batch
    }
  }

  /// Predicts one crop of `inputSize * inputSize` bytes (convenience; allocates the results).
  public func predict(crop: [UInt8]) -> (points: [SIMD2<Float>], score: Float) {
    var points = [SIMD2<Float>](repeating: .zero, count: keypointCount)
    var score: Float = 0
    crop.withUnsafeBufferPointer { crops in
      points.withUnsafeMutableBufferPointer { pointBuffer in
        withUnsafeMutablePointer(to: &score) { scorePointer in
          predict(
            crops: crops, count: 1, points: pointBuffer, scores: UnsafeMutableBufferPointer(start: scorePointer, count: 1))
        }
      }
    }
    return (points, score)
  }
}

import Foundation

/// Measures `KeypointPredictor` throughput, for `keyface bench inference`.
public enum InferenceBenchmark {
  /// Crops per second predicting batches of `batch` random crops with `threads` threads for about `seconds`
  /// (after a short warm-up). Sets the process-wide thread count (see `Network.setThreads`).
  public static func run(network: Network, batch: Int, threads: Int, seconds: Double) -> Double {
    require(batch > 0 && threads > 0 && seconds > 0, "InferenceBenchmark: batch, threads and seconds must be positive")
    Network.setThreads(threads)
    let predictor = KeypointPredictor(network: network, maxBatch: batch)
    var generator = SplitMix64(seed: 42)
    let side = network.architecture.inputSize
    let crops = (0..<batch * side * side * network.architecture.inputChannels).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    var points = [SIMD2<Float>](repeating: .zero, count: batch * predictor.keypointCount)
    var scores = [Float](repeating: 0, count: batch)
    func once() {
      crops.withUnsafeBufferPointer { c in
        points.withUnsafeMutableBufferPointer { p in
          scores.withUnsafeMutableBufferPointer { s in predictor.predict(crops: c, count: batch, points: p, scores: s) }
        }
      }
    }
    let warmUpEnd = DispatchTime.now().uptimeNanoseconds + UInt64(min(0.5, seconds / 4) * 1e9)
    while DispatchTime.now().uptimeNanoseconds < warmUpEnd { once() }
    let start = DispatchTime.now().uptimeNanoseconds
    let end = start + UInt64(seconds * 1e9)
    var iterations = 0
    var now = start
    repeat {
      once()
      iterations += 1
      now = DispatchTime.now().uptimeNanoseconds
    } while now < end
    return Double(iterations * batch) / (Double(now - start) / 1e9)
  }
}

import XCTest

@testable import KeyfaceNN

final class KeypointPredictorTests: XCTestCase {
  func testOutputsMapToCropPixelsAndScore() {
    let network = Network(architecture: tinyArchitecture, seed: 1)
    let last = network.parameters[network.parameters.count - 2]  // fc2.weight
    let bias = network.parameters[network.parameters.count - 1]  // fc2.bias
    XCTAssertEqual(last.name, "fc2.weight")
    last.value = Tensor(zeros: last.value.shape)
    bias.value.data = (0..<31).map { Float($0) / 100 }
    bias.value.data[30] = 2
    let predictor = KeypointPredictor(network: network, maxBatch: 4)
    XCTAssertEqual(predictor.inputSize, 8)
    let (points, score) = predictor.predict(crop: [UInt8](repeating: 128, count: 64))
    XCTAssertEqual(points.count, 15)
    // o * targetScale (4) + targetCenter (4)
    XCTAssertEqual(points[0].x, 0.00 * 4 + 4, accuracy: 1e-6)
    XCTAssertEqual(points[0].y, 0.01 * 4 + 4, accuracy: 1e-6)
    XCTAssertEqual(points[14].x, 0.28 * 4 + 4, accuracy: 1e-6)
    XCTAssertEqual(points[14].y, 0.29 * 4 + 4, accuracy: 1e-6)
    XCTAssertEqual(score, 1 / (1 + exp(-2)), accuracy: 1e-6)
  }

  /// The compiled plan (batch norm folded, ReLU fused, dropout removed) agrees with the network in inference mode.
  func testPredictorMatchesNetworkForward() {
    for winograd in [true, false] {
      InferencePlan.useWinograd = winograd
      defer { InferencePlan.useWinograd = true }
      checkPredictorMatchesNetwork()
    }
  }

  private func checkPredictorMatchesNetwork() {
    let network = Network(architecture: tinyArchitecture, seed: 4)
    // Non-trivial batch-norm statistics.
    _ = network.forward(Tensor(shape: [4, 1, 8, 8], data: GradientCheck.random(256, seed: 1, range: 3)), training: true)
    var generator = SplitMix64(seed: 2)
    let count = 7  // more than maxBatch: exercises splitting
    let crops = (0..<count * 64).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    let x = Tensor(shape: [count, 1, 8, 8], data: crops.map { Float($0) / 255 })
    let expected = network.forward(x, training: false)
    let predictor = KeypointPredictor(network: network, maxBatch: 3)
    let (points, scores) = predictor.predictions(crops, count: count, unsetScore: -1)
    for n in 0..<count {
      for k in 0..<15 {
        XCTAssertEqual(points[n * 15 + k].x, expected.data[n * 31 + 2 * k] * 4 + 4, accuracy: 1e-4)
        XCTAssertEqual(points[n * 15 + k].y, expected.data[n * 31 + 2 * k + 1] * 4 + 4, accuracy: 1e-4)
      }
      XCTAssertEqual(scores[n], 1 / (1 + exp(-expected.data[n * 31 + 30])), accuracy: 1e-5)
    }
  }

  /// Less common layer orders: a valid (im2col) convolution, batch norm after pooling (its own affine step),
  /// global average pooling, no score output.
  func testPlanHandlesOtherLayerOrders() {
    let architecture = Architecture(
      name: "other", inputSize: 10, inputChannels: 1,
      layers: [
        .conv(out: 4, kernel: 3, stride: 1, padding: 0), .relu, .maxPool(size: 2), .batchNorm, .relu,
        .conv(out: 5, kernel: 3, stride: 1, padding: 1), .relu, .globalAvgPool, .linear(out: 30),
      ],
      outputCount: 30, inputScale: 1.0 / 255.0, inputOffset: 0, targetCenter: 5, targetScale: 5)
    let network = Network(architecture: architecture, seed: 3)
    _ = network.forward(Tensor(shape: [4, 1, 10, 10], data: GradientCheck.random(400, seed: 1, range: 2)), training: true)
    let crops = (0..<3 * 100).map { UInt8(($0 * 37) % 256) }
    let expected = network.forward(Tensor(shape: [3, 1, 10, 10], data: crops.map { Float($0) / 255 }), training: false)
    let predictor = KeypointPredictor(network: network, maxBatch: 3)
    let (points, scores) = predictor.predictions(crops, count: 3)
    for i in 0..<3 * 15 {
      XCTAssertEqual(points[i].x, expected.data[2 * i] * 5 + 5, accuracy: 1e-4)
      XCTAssertEqual(points[i].y, expected.data[2 * i + 1] * 5 + 5, accuracy: 1e-4)
    }
    XCTAssertEqual(scores, [1, 1, 1])
  }

  /// A valid convolution with an odd output plane before a 2x2 pooling (keyface's 45 x 45 second layer): the
  /// Winograd step skips the row and column the pooling drops and pools itself; same result as the network.
  func testOddPlaneBeforePoolingMatchesNetwork() {
    let architecture = Architecture(
      name: "odd", inputSize: 14, inputChannels: 1,
      layers: [
        .conv(out: 3, kernel: 3, stride: 1, padding: 1), .relu, .maxPool(size: 2),
        .conv(out: 4, kernel: 3, stride: 1, padding: 0), .batchNorm, .relu, .maxPool(size: 2),
        .flatten, .linear(out: 31),
      ],
      outputCount: 31, inputScale: 1.0 / 255.0, inputOffset: 0, targetCenter: 7, targetScale: 7)
    XCTAssertEqual(try architecture.shapes()[4], [4, 5, 5])
    let network = Network(architecture: architecture, seed: 5)
    _ = network.forward(Tensor(shape: [4, 1, 14, 14], data: GradientCheck.random(784, seed: 2, range: 2)), training: true)
    let crops: [UInt8] = (0..<5 * 196).map { (i: Int) -> UInt8 in UInt8((i * 53 + 11) % 256) }
    let expected = network.forward(Tensor(shape: [5, 1, 14, 14], data: crops.map { Float($0) / 255 }), training: false)
    for batch in [1, 5] {
      let predictor = KeypointPredictor(network: network, maxBatch: batch)
      let (points, _) = predictor.predictions(crops, count: 5)
      for i in 0..<5 * 15 {
        let output: Int = (i / 15) * 31 + 2 * (i % 15)
        let x: Float = expected.data[output] * 7 + 7, y: Float = expected.data[output + 1] * 7 + 7
        XCTAssertEqual(points[i].x, x, accuracy: 1e-4)
        XCTAssertEqual(points[i].y, y, accuracy: 1e-4)
      }
    }
  }

  func testModelWithoutScoreOutputScoresOne() {
    let network = Network(architecture: .seed.withInputSize(24), seed: 1)
    let (points, score) = KeypointPredictor(network: network, maxBatch: 1).predict(crop: [UInt8](repeating: 0, count: 576))
    XCTAssertEqual(points.count, 15)
    XCTAssertEqual(score, 1)
  }

  func testBenchmarkReportsThroughput() {
    let rate = InferenceBenchmark.run(network: Network(architecture: tinyArchitecture, seed: 1), batch: 2, threads: 1, seconds: 0.05)
    XCTAssertGreaterThan(rate, 0)
  }
}

extension Architecture {
  /// The same layers at a smaller input (tests only); valid as long as the layers still fit.
  fileprivate func withInputSize(_ size: Int) -> Architecture {
    var copy = self
    copy.inputSize = size
    return copy
  }
}

extension KeypointPredictorTests {
  /// A first convolution over one channel runs as im2col for batches of one or two and as Winograd for larger
  /// ones: the same crop must give the same answer either way.
  func testSmallAndLargeBatchPathsAgree() {
    let network = Network(architecture: tinyArchitecture, seed: 9)
    var generator = SplitMix64(seed: 3)
    let crop = (0..<64).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    let predictor = KeypointPredictor(network: network, maxBatch: 4)
    var results: [[SIMD2<Float>]] = []
    for count in [1, 2, 4] {
      let crops = Array([[UInt8]](repeating: crop, count: count).joined())
      let (points, _) = predictor.predictions(crops, count: count)
      results.append(Array(points[0..<15]))
    }
    for k in 0..<15 {
      XCTAssertEqual(results[0][k].x, results[2][k].x, accuracy: 1e-4)
      XCTAssertEqual(results[0][k].y, results[2][k].y, accuracy: 1e-4)
      XCTAssertEqual(results[1][k].x, results[2][k].x, accuracy: 1e-4)
    }
  }
}

extension KeypointPredictorTests {
  func testMirroredKeypointsSwapSidesAndUndoThemselves() {
    let points = (0..<15).map { SIMD2<Float>(Float($0) * 3 + 1, Float($0)) }
    let once = Keypoints.mirrored(points, width: 96)
    // left_eye_center (0) takes right_eye_center's (1) mirrored place; the nose tip (10) only mirrors.
    XCTAssertEqual(once[0], SIMD2(96 - points[1].x, points[1].y))
    XCTAssertEqual(once[1], SIMD2(96 - points[0].x, points[0].y))
    XCTAssertEqual(once[10], SIMD2(96 - points[10].x, points[10].y))
    XCTAssertEqual(Keypoints.mirrored(once, width: 96), points)
  }
}

extension KeypointPredictor {
  /// Runs `predict` on `count` crops: their keypoints (15 each) and scores, which start at `unsetScore`.
  func predictions(_ crops: [UInt8], count: Int, unsetScore: Float = 0) -> (points: [SIMD2<Float>], scores: [Float]) {
    var points = [SIMD2<Float>](repeating: .zero, count: count * 15)
    var scores = [Float](repeating: unsetScore, count: count)
    crops.withUnsafeBufferPointer { c in
      points.withUnsafeMutableBufferPointer { p in
        scores.withUnsafeMutableBufferPointer { s in predict(crops: c, count: count, points: p, scores: s) }
      }
    }
    return (points, scores)
  }
}

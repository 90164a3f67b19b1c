import KeyfaceNN
import XCTest

@testable import KeyfaceTraining

final class DatasetPredictorTests: XCTestCase {
  /// A small untrained network: its answers are arbitrary, which is all these tests need.
  private let probe = Architecture(
    name: "probe", inputSize: 96, inputChannels: 1,
    layers: [.conv(out: 4, kernel: 3, stride: 2, padding: 1), .relu, .flatten, .linear(out: 31)],
    outputCount: 31, inputScale: 1.0 / 255.0, inputOffset: 0, targetCenter: 48, targetScale: 48)

  /// A 96x96 picture of random grey values.
  private func noise(_ generator: inout SplitMix64) -> [UInt8] {
    (0..<KaggleDataset.pixelCount).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
  }

  /// With flip averaging the answer for a mirrored face is exactly the mirrored answer for the face (x -> 96 - x,
  /// left/right pairs swapped), whatever the network; without it, an untrained network is far from that.
  func testFlipAveragedPredictionsAreMirrorEquivariant() {
    let network = Network(architecture: probe, seed: 5)
    var generator = SplitMix64(seed: 11)
    let face = noise(&generator)
    var mirrored = face
    for y in 0..<96 {
      for x in 0..<96 { mirrored[y * 96 + x] = face[y * 96 + 95 - x] }
    }
    var data = KaggleDataset()
    let none = [Float](repeating: 0, count: 30)
    data.append(pixels: face, coordinates: none, mask: none, imageId: 1)
    data.append(pixels: mirrored, coordinates: none, mask: none, imageId: 2)

    func gap(_ predictor: DatasetPredictor) -> Float {
      let xy = predictor.predict(data).coordinates
      var back = Array(xy[30..<60])
      for k in 0..<15 { back[2 * k] = 96 - back[2 * k] }
      for (l, r) in Keypoints.flipPairs {
        back.swapAt(2 * l, 2 * r)
        back.swapAt(2 * l + 1, 2 * r + 1)
      }
      return zip(xy[0..<30], back).map { abs($0 - $1) }.max()!
    }
    var predictor = DatasetPredictor(network: network)
    XCTAssertGreaterThan(gap(predictor), 0.5)
    predictor.flipAverage = true
    XCTAssertLessThan(gap(predictor), 1e-3)
  }

  /// A calibrated network's answers are the uncalibrated ones moved right by its `horizontalOffset`, with and
  /// without flip averaging (the mirror image's answer is mapped back about 96 + 2 * offset, not 96, so the two
  /// halves do not cancel the offset); its mean x error is that offset more.
  func testHorizontalOffsetShiftsXWithAndWithoutFlipAveraging() {
    let network = Network(architecture: probe, seed: 8)
    var generator = SplitMix64(seed: 4)
    var data = KaggleDataset()
    for id in 1...3 {
      let face = noise(&generator)
      data.append(pixels: face, coordinates: [Float](repeating: 40, count: 30), mask: [Float](repeating: 1, count: 30),
        imageId: id)
    }
    for flip in [false, true] {
      var predictor = DatasetPredictor(network: network)
      predictor.flipAverage = flip
      network.horizontalOffset = 0
      let plain = predictor.predict(data).coordinates
      let plainError = predictor.meanHorizontalError(on: data)
      network.horizontalOffset = 0.75
      let moved = predictor.predict(data).coordinates
      for i in plain.indices {
        XCTAssertEqual(moved[i] - plain[i], i % 2 == 0 ? 0.75 : 0, accuracy: 1e-4, "flip \(flip), coordinate \(i)")
      }
      XCTAssertEqual(predictor.meanHorizontalError(on: data), plainError + 0.75, accuracy: 1e-4)
    }
  }

  /// An ensemble averages its members' keypoints and scores; one member alone is that member.
  func testEnsembleAveragesItsMembers() {
    let a = Network(architecture: probe, seed: 5), b = Network(architecture: probe, seed: 6)
    var generator = SplitMix64(seed: 3)
    var data = KaggleDataset()
    let none = [Float](repeating: 0, count: 30)
    for id in 1...3 {
      let face = noise(&generator)
      data.append(pixels: face, coordinates: none, mask: none, imageId: id)
    }
    let pa = DatasetPredictor(network: a).predict(data), pb = DatasetPredictor(network: b).predict(data)
    let both = EnsemblePredictor(networks: [a, b], flipAverage: false).predict(data)
    XCTAssertEqual(both.coordinates.count, 90)
    for i in 0..<90 { XCTAssertEqual(both.coordinates[i], (pa.coordinates[i] + pb.coordinates[i]) / 2, accuracy: 1e-4) }
    for i in 0..<3 { XCTAssertEqual(both.scores![i], (pa.scores![i] + pb.scores![i]) / 2, accuracy: 1e-6) }
    XCTAssertNotEqual(pa.coordinates, pb.coordinates)
    XCTAssertEqual(EnsemblePredictor(networks: [a], flipAverage: false).predict(data).coordinates, pa.coordinates)
  }
}

import Foundation
import KeyfaceNN
import XCTest

@testable import KeyfaceTraining

final class TrainerTests: XCTestCase {
  /// A tiny network with a face-score output, fast enough for a debug-build test.
  private let tiny = Architecture(
    name: "tiny", inputSize: 96, inputChannels: 1,
    layers: [
      .conv(out: 6, kernel: 5, stride: 4, padding: 2), .relu, .maxPool(size: 2),
      .conv(out: 8, kernel: 3, stride: 2, padding: 1), .relu, .flatten, .linear(out: 31),
    ],
    outputCount: 31, inputScale: 1.0 / 255.0, inputOffset: 0, targetCenter: 48, targetScale: 48)

  /// Faces are bright blobs; every keypoint sits at a fixed offset from the blob's centre.
  private func synthetic(count: Int, seed: UInt64) -> KaggleDataset {
    var data = KaggleDataset()
    var random = SeededRandom(seed: seed)
    for i in 0..<count {
      let cx = random.uniform(32, 64)
      let cy = random.uniform(32, 64)
      var pixels = [UInt8](repeating: 0, count: 9216)
      for y in 0..<96 {
        for x in 0..<96 {
          let d2 = (Float(x) + 0.5 - cx) * (Float(x) + 0.5 - cx) + (Float(y) + 0.5 - cy) * (Float(y) + 0.5 - cy)
          pixels[y * 96 + x] = UInt8(20 + 220 * exp(-d2 / 200))
        }
      }
      var xy = [Float](repeating: 0, count: 30)
      var mask = [Float](repeating: 1, count: 30)
      for k in 0..<15 {
        xy[2 * k] = cx + Float(k % 5 - 2) * 4
        xy[2 * k + 1] = cy + Float(k / 5 - 1) * 6
      }
      if i % 3 == 0 {  // some keypoints missing, as in Kaggle's file
        for j in 8..<30 { mask[j] = 0; xy[j] = 0 }
      }
      data.append(pixels: pixels, coordinates: xy, mask: mask, imageId: i + 1)
    }
    return data
  }

  private func noise(count: Int) -> KaggleDataset {
    var data = KaggleDataset()
    var random = SeededRandom(seed: 99)
    for i in 0..<count {
      let pixels = (0..<9216).map { _ in UInt8(truncatingIfNeeded: random.next() >> 56) }
      data.append(pixels: pixels, coordinates: [Float](repeating: 0, count: 30), mask: [Float](repeating: 0, count: 30),
        imageId: i + 1)
    }
    return data
  }

  private func options(epochs: Int) -> TrainingOptions {
    var options = TrainingOptions(
      epochs: epochs, batchSize: 16, learningRate: 0.01, weightDecay: 0, schedule: .cosine, warmupEpochs: 1, loss: .mse,
      augmentation: AugmentationOptions(flipProbability: 0.5, maxRotationDegrees: 0, maxScale: 0, maxShift: 0,
        geometricProbability: 0, maxBrightness: 0.05, maxContrast: 0.1),
      scoreWeight: 0.2, seed: 7)
    options.augmentation?.flipProbability = 0.5
    return options
  }

  func testShortRunLearnsAndKeepsTheBestEpoch() throws {
    let fixtures = try Fixtures()
    let faces = synthetic(count: 96, seed: 1)
    let split = DataSplit.random(count: faces.count, fraction: 0.25, seed: 3)
    let checkpoint = fixtures.directory.appendingPathComponent("tiny.safetensors")
    let trainer = Trainer(network: Network(architecture: tiny, seed: 5), options: options(epochs: 12))
    var firstBatchLoss: Double?
    trainer.onBatch = { epoch, done, _, loss in if epoch == 1 && done == 1 { firstBatchLoss = loss } }
    let result = try trainer.train(faces: faces, split: split, negatives: noise(count: 20), checkpoint: checkpoint)

    let losses = result.epochs.map(\.trainLoss)
    XCTAssertLessThan(losses.last!, 0.25 * firstBatchLoss!, "losses \(losses)")
    let rmses = result.epochs.map(\.validationRMSE)
    XCTAssertLessThan(result.bestValidationRMSE, 0.5 * rmses[0], "val RMSE \(rmses)")
    XCTAssertEqual(result.bestValidationRMSE, rmses.min()!)
    XCTAssertGreaterThan(result.epochs.last!.scoreAccuracy ?? 0, 0.9)

    // The network now holds the best epoch, calibrated: flip-averaged, its mean x error on the training faces is
    // gone (the validation RMSE was measured before calibration).
    let network = trainer.network
    XCTAssertEqual(network.horizontalOffset, result.horizontalOffset)
    var flipped = DatasetPredictor(network: network)
    flipped.flipAverage = true
    XCTAssertEqual(flipped.meanHorizontalError(on: faces, indices: split.training), 0, accuracy: 1e-3)
    let calibrated = DatasetPredictor(network: network).errors(on: faces, indices: split.validation).rmse
    network.horizontalOffset = 0
    XCTAssertEqual(flipped.meanHorizontalError(on: faces, indices: split.training), -result.horizontalOffset, accuracy: 1e-3)
    let again = DatasetPredictor(network: network).errors(on: faces, indices: split.validation).rmse
    XCTAssertEqual(again, result.bestValidationRMSE, accuracy: 1e-4)
    network.horizontalOffset = result.horizontalOffset
    // So does the checkpoint.
    let saved = try Network(contentsOf: checkpoint)
    XCTAssertEqual(saved.architecture, tiny)
    XCTAssertEqual(saved.metadata["best_epoch"], String(result.bestEpoch))
    XCTAssertEqual(saved.horizontalOffset, result.horizontalOffset)
    XCTAssertEqual(
      DatasetPredictor(network: saved).errors(on: faces, indices: split.validation).rmse, calibrated, accuracy: 1e-4)
    let svg = try String(contentsOf: Trainer.curvesURL(for: checkpoint), encoding: .utf8)
    XCTAssertTrue(svg.contains("<polyline"))
  }

  /// Zero epochs train nothing: the network keeps its weights, gains its calibration, and is saved.
  func testZeroEpochsOnlyCalibrates() throws {
    let fixtures = try Fixtures()
    let faces = synthetic(count: 40, seed: 2)
    let split = DataSplit.random(count: faces.count, fraction: 0.25, seed: 3)
    let network = Network(architecture: tiny, seed: 5)
    network.horizontalOffset = 9  // a stale calibration is replaced, not built upon
    let before = network.parameters.map(\.value)
    let checkpoint = fixtures.directory.appendingPathComponent("calibrated.safetensors")
    let result = try Trainer(network: network, options: options(epochs: 0)).train(
      faces: faces, split: split, checkpoint: checkpoint)
    XCTAssertEqual(result.epochs, [])
    XCTAssertEqual(network.parameters.map(\.value), before)
    XCTAssertEqual(network.horizontalOffset, result.horizontalOffset)
    XCTAssertNotEqual(result.horizontalOffset, 9)
    var flipped = DatasetPredictor(network: network)
    flipped.flipAverage = true
    XCTAssertEqual(flipped.meanHorizontalError(on: faces, indices: split.training), 0, accuracy: 1e-3)
    XCTAssertEqual(try Network(contentsOf: checkpoint).horizontalOffset, result.horizontalOffset)
  }

  /// With `frames`, crops come from the full frames: faces stored blank but drawn from frames that show them
  /// are learnt (the loss falls far below what blank crops allow).
  func testTrainingDrawsCropsFromFrames() throws {
    let shown = synthetic(count: 48, seed: 6)
    var blank = KaggleDataset()
    var frames: [FaceFrames.Frame] = []
    for row in 0..<shown.count {
      // The face's crop pasted at (48, 48) into a 192 x 192 frame.
      var pixels = [UInt8](repeating: 20, count: 192 * 192)
      for y in 0..<96 {
        for x in 0..<96 { pixels[(y + 48) * 192 + x + 48] = shown.pixels[row * 9216 + y * 96 + x] }
      }
      frames.append(FaceFrames.Frame(width: 192, height: 192, pixels: pixels))
      blank.append(
        pixels: [UInt8](repeating: 20, count: 9216), coordinates: Array(shown.coordinates[(row * 30)..<(row * 30 + 30)]),
        mask: Array(shown.mask[(row * 30)..<(row * 30 + 30)]), imageId: row + 1)
    }
    let placements = (0..<shown.count).map { FaceFrames.Placement(frame: $0, scale: 1, shift: SIMD2(48, 48)) }
    let split = DataSplit(training: Array(0..<shown.count), validation: [])
    func finalLoss(_ frames: FaceFrames?) throws -> Double {
      let trainer = Trainer(network: Network(architecture: tiny, seed: 5), options: options(epochs: 12))
      return try trainer.train(faces: blank, split: split, frames: frames).epochs.last!.trainLoss
    }
    let fromFrames = try finalLoss(FaceFrames(frames: frames, placements: placements))
    let fromBlank = try finalLoss(nil)
    XCTAssertLessThan(fromFrames, 0.5 * fromBlank, "from frames \(fromFrames), from blank crops \(fromBlank)")
  }

  func testSameSeedGivesTheSameRun() throws {
    let faces = synthetic(count: 40, seed: 2)
    let split = DataSplit.random(count: faces.count, fraction: 0.25, seed: 3)
    func run() throws -> [Double] {
      let trainer = Trainer(network: Network(architecture: tiny, seed: 5), options: options(epochs: 2))
      return try trainer.train(faces: faces, split: split).epochs.flatMap { [$0.trainLoss, $0.validationRMSE] }
    }
    XCTAssertEqual(try run(), try run())
  }

  func testTimeBudgetStopsEarlyAndAnneals() throws {
    let faces = synthetic(count: 40, seed: 2)
    let split = DataSplit.random(count: faces.count, fraction: 0.25, seed: 3)
    var options = options(epochs: 10_000)
    options.timeBudget = 1.0
    let started = Date()
    let result = try Trainer(network: Network(architecture: tiny, seed: 5), options: options).train(faces: faces, split: split)
    XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    XCTAssertLessThan(result.epochs.count, 10_000)
    // The last step ran close to the end of the cosine: near the 1% floor, far below the peak.
    XCTAssertLessThan(result.epochs.last!.learningRate, 0.2 * options.learningRate)
  }

  func testBatchesCarryAugmentedTargetsAndScoreMask() {
    let faces = synthetic(count: 4, seed: 4)
    let negatives = noise(count: 2)
    let samples: [TrainingSample] = [.face(0), .negative(1), .face(2)]
    let batch = BatchBuilder.batch(
      samples[...], faces: faces, negatives: negatives, architecture: tiny, augmentation: nil, trainScore: true,
      seed: 1, epoch: 1)
    XCTAssertEqual(batch.input.shape, [3, 1, 96, 96])
    XCTAssertEqual(batch.scoreTarget.data, [1, 0, 1])
    XCTAssertEqual(batch.scoreMask.data, [1, 1, 1])
    XCTAssertEqual(batch.mask.data[30..<60].reduce(0, +), 0)  // a non-face teaches no keypoints
    XCTAssertEqual(batch.target.data[0], (faces.coordinates[0] - 48) / 48, accuracy: 1e-6)
    XCTAssertEqual(batch.input.data[100], Float(faces.pixels[100]) / 255, accuracy: 1e-6)
  }
  /// 68 auxiliary points per face made from its keypoints, as a 68-point annotation would place them: the eye
  /// contours on the eye centres, the eyebrow, nose and mouth points on their keypoints, the rest near the face.
  private func auxiliary(for faces: KaggleDataset) -> AuxiliaryLandmarks {
    let ofKeypoint: [Int: Int] = [22: 6, 26: 7, 21: 8, 17: 9, 30: 10, 54: 11, 48: 12, 51: 13, 57: 14]
    var coordinates: [Float] = []
    for row in 0..<faces.count {
      let point = { (k: Int) in SIMD2(faces.coordinates[row * 30 + 2 * k], faces.coordinates[row * 30 + 2 * k + 1]) }
      for i in 0..<68 {
        let p: SIMD2<Float>
        switch i {
        case 42...47: p = point(0)
        case 36...41: p = point(1)
        default: p = ofKeypoint[i].map(point) ?? (point(10) + SIMD2(Float(i % 9) - 4, Float(i % 5)))
        }
        coordinates += [p.x, p.y]
      }
    }
    return AuxiliaryLandmarks(pointCount: 68, coordinates: coordinates, flipPairs: AuxiliaryLandmarks.ibug68FlipPairs)
  }

  /// The widened copy computes the network's outputs first, then its extra ones; its weights copy back exactly.
  func testWidenedNetworkSharesOutputsAndCopiesBack() throws {
    let network = Network(architecture: tiny, seed: 5)
    let wide = try Trainer.widened(network, extraOutputs: 136, seed: 9)
    XCTAssertEqual(wide.architecture.outputCount, 167)
    var random = SeededRandom(seed: 3)
    let input = Tensor(shape: [2, 1, 96, 96], data: (0..<(2 * 9216)).map { _ in random.uniform(0, 1) })
    let narrowOut = network.forward(input, training: false)
    let wideOut = wide.forward(input, training: false)
    // Equal but for rounding (the products are split differently).
    func assertLeadingOutputsEqual(_ wide: Tensor, _ narrow: Tensor) {
      for b in 0..<2 {
        for j in 0..<31 { XCTAssertEqual(wide.data[b * 167 + j], narrow.data[b * 31 + j], accuracy: 1e-5 * (1 + abs(narrow.data[b * 31 + j]))) }
      }
    }
    assertLeadingOutputsEqual(wideOut, narrowOut)
    // Change the wide copy (as training does) and copy it back.
    for p in wide.parameters { p.value.data = p.value.data.map { $0 * 1.5 + 0.01 } }
    let changed = wide.forward(input, training: false)
    Trainer.copyWeights(from: wide, to: network)
    let copied = network.forward(input, training: false)
    assertLeadingOutputsEqual(changed, copied)
    XCTAssertNotEqual(copied, narrowOut)
    XCTAssertThrowsError(
      try Trainer.widened(Network(architecture: Architecture(
        name: "pooled", inputSize: 96, inputChannels: 1, layers: [.conv(out: 30, kernel: 3, stride: 2, padding: 1), .globalAvgPool],
        outputCount: 30, inputScale: 1, inputOffset: 0, targetCenter: 48, targetScale: 48), seed: 1),
        extraOutputs: 4, seed: 1))
  }

  /// Auxiliary points move, flip and swap with the keypoints: the points placed on a keypoint stay on it.
  func testBatchesCarryAuxiliaryPointsThroughAugmentation() {
    let faces = synthetic(count: 3, seed: 4)
    let points = auxiliary(for: faces)
    let flipAndTurn = AugmentationOptions(
      flipProbability: 1, maxRotationDegrees: 10, maxScale: 0.1, maxShift: 3, geometricProbability: 1,
      maxBrightness: 0, maxContrast: 0)
    let batch = BatchBuilder.batch(
      [TrainingSample.face(1), .negative(0), .face(2)][...], faces: faces, negatives: noise(count: 1), architecture: tiny,
      augmentation: flipAndTurn, trainScore: true, seed: 1, epoch: 1, auxiliary: points)
    XCTAssertEqual(batch.auxiliaryTarget.shape, [3, 136])
    XCTAssertEqual(batch.auxiliaryMask.data[136..<272].reduce(0, +), 0)  // a non-face has no points
    for b in [0, 2] {
      let target = { (j: Int) in batch.target.data[b * 30 + j] }
      let aux = { (j: Int) in batch.auxiliaryTarget.data[b * 136 + j] }
      XCTAssertEqual(batch.mask.data[b * 30 + 20], 1)
      XCTAssertNotEqual(target(20), (faces.coordinates[(b == 0 ? 1 : 2) * 30 + 20] - 48) / 48, "not moved")
      // After the flip the subject's left eye (keypoint 0) holds what was the right one, and so do points 42-47.
      for (point, keypoint) in [(42, 0), (47, 0), (36, 1), (41, 1), (22, 6), (17, 9), (30, 10), (54, 11), (48, 12), (57, 14)] {
        XCTAssertEqual(aux(2 * point), target(2 * keypoint), accuracy: 1e-5, "point \(point) x")
        XCTAssertEqual(aux(2 * point + 1), target(2 * keypoint + 1), accuracy: 1e-5, "point \(point) y")
      }
    }
  }

  func testIBUGFlipPairsAreDisjointAndLeaveTheMidlineAlone() {
    let pairs = AuxiliaryLandmarks.ibug68FlipPairs
    let paired = pairs.flatMap { [$0.0, $0.1] }
    XCTAssertEqual(Set(paired).count, paired.count)
    XCTAssertEqual(Set(0..<68).subtracting(paired), [8, 27, 28, 29, 30, 33, 51, 57, 62, 66])
    // The 15 keypoints' own pairs follow from them (eye corners 36/45, 39/42; brows 17/26, 21/22; mouth 48/54).
    for (a, b) in [(36, 45), (39, 42), (17, 26), (21, 22), (48, 54)] {
      XCTAssertTrue(pairs.contains { $0 == (a, b) || $0 == (b, a) }, "\(a)-\(b)")
    }
  }

  /// Training with auxiliary points keeps the network's own layout and learns its keypoints; the points change
  /// what it learns (a weight of 0 gives another run).
  func testTrainingWithAuxiliaryPointsKeepsTheLayout() throws {
    let fixtures = try Fixtures()
    let faces = synthetic(count: 64, seed: 1)
    let split = DataSplit.random(count: faces.count, fraction: 0.25, seed: 3)
    let checkpoint = fixtures.directory.appendingPathComponent("aux.safetensors")
    func run(weight: Float) throws -> (TrainingResult, Network) {
      var options = options(epochs: 8)
      options.landmarkWeight = weight
      let trainer = Trainer(network: Network(architecture: tiny, seed: 5), options: options)
      let result = try trainer.train(faces: faces, split: split, auxiliary: auxiliary(for: faces), checkpoint: checkpoint)
      return (result, trainer.network)
    }
    let (result, network) = try run(weight: 0.5)
    XCTAssertEqual(network.architecture, tiny)
    XCTAssertEqual(try Network(contentsOf: checkpoint).architecture, tiny)
    XCTAssertLessThan(result.bestValidationRMSE, 0.5 * result.epochs[0].validationRMSE, "\(result.epochs.map(\.validationRMSE))")
    XCTAssertEqual(
      DatasetPredictor(network: network).errors(on: faces, indices: split.validation).rmse,
      DatasetPredictor(network: try Network(contentsOf: checkpoint)).errors(on: faces, indices: split.validation).rmse,
      accuracy: 1e-4)
    let (unweighted, _) = try run(weight: 0)
    XCTAssertNotEqual(unweighted.epochs.map(\.trainLoss), result.epochs.map(\.trainLoss))
  }
}

import KeyfaceNN
import XCTest

@testable import KeyfaceTraining

final class PatchTrainerTests: XCTestCase {
  /// Sharp synthetic faces: a dark dot on each of the 15 keypoints of a face placed at random (scale 2-3, tilted up
  /// to 15 degrees) on a light, noisy background.
  static func syntheticFaces(count: Int, seed: UInt64) -> ([FaceFrames.Frame], [PatchTrainingFace]) {
    var random = SeededRandom(seed: seed)
    var frames: [FaceFrames.Frame] = []
    var faces: [PatchTrainingFace] = []
    let width = 300, height = 300
    for i in 0..<count {
      let scale = random.uniform(2, 3), angle = random.uniform(-0.26, 0.26)
      let face = Similarity(
        a: scale * cosf(angle), b: scale * sinf(angle),
        shift: SIMD2(random.uniform(10, 40), random.uniform(10, 40)))
      let points = KaggleLayout.meanPoints.map(face.apply)
      var pixels = (0..<(width * height)).map { _ in UInt8(180 + Int(random.next() % 30)) }
      for p in points {
        for y in max(0, Int(p.y) - 4)...min(height - 1, Int(p.y) + 4) {
          for x in max(0, Int(p.x) - 4)...min(width - 1, Int(p.x) + 4) {
            let d2 = (Float(x) + 0.5 - p.x) * (Float(x) + 0.5 - p.x) + (Float(y) + 0.5 - p.y) * (Float(y) + 0.5 - p.y)
            let dark = 150 * expf(-d2 / 4)
            pixels[y * width + x] = UInt8(max(0, Float(pixels[y * width + x]) - dark))
          }
        }
      }
      frames.append(FaceFrames.Frame(width: width, height: height, pixels: pixels))
      faces.append(PatchTrainingFace(frame: i, points: points))
    }
    return (frames, faces)
  }

  /// A patch network trained for a few epochs on sharp synthetic faces moves first estimates (drawn from an error
  /// model of 1.5 crop units per coordinate) toward the truth on faces it did not train on.
  func testTrainingMovesPointsTowardTheTruth() throws {
    let (frames, faces) = PatchTrainerTests.syntheticFaces(count: 96, seed: 11)
    let architecture = Architecture(
      name: "test-patches", inputSize: 16, inputChannels: 15,
      layers: [
        .conv(out: 16, kernel: 3, stride: 1, padding: 1), .batchNorm, .relu,
        .conv(out: 16, kernel: 3, stride: 1, padding: 1), .batchNorm, .relu,
        .conv(out: 15, kernel: 3, stride: 1, padding: 1), .softArgmax,
      ],
      outputCount: 30, inputScale: 1.0 / 255.0, inputOffset: -0.5, targetCenter: 8, targetScale: 8,
      patchResolution: 1.5)
    let network = Network(architecture: architecture, seed: 3)
    var options = TrainingOptions.defaults(for: architecture)
    options.epochs = 60
    options.batchSize = 16
    options.loss = .l1
    options.learningRate = 0.001
    options.augmentation = nil
    let variance: Float = 1.5 * 1.5
    let errors = EstimateErrors(
      count: 1, source: "test", mean: [Float](repeating: 0, count: 30),
      covariance: (0..<30).map { i in (0..<30).map { $0 == i ? variance : 0 } })
    let trainer = try PatchTrainer(network: network, options: options)
    let split = DataSplit(training: Array(0..<80), validation: Array(80..<96))
    let result = try trainer.train(frames: frames, faces: faces, split: split, errors: errors, checkpoint: nil)
    XCTAssertEqual(result.count, 16)
    XCTAssertGreaterThan(result.medianBefore, 0.02)
    XCTAssertLessThan(result.medianAfter, 0.5 * result.medianBefore, result.line)
  }

  func testErrorModelMustBePositiveDefinite() throws {
    let bad = EstimateErrors(
      count: 1, source: "test", mean: [Float](repeating: 0, count: 30),
      covariance: [[Float]](repeating: [Float](repeating: 1, count: 30), count: 30))
    XCTAssertNil(bad.cholesky())
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("errors-\(UUID()).json")
    try JSONEncoder().encode(bad).write(to: path)
    defer { try? FileManager.default.removeItem(at: path) }
    XCTAssertThrowsError(try EstimateErrors(contentsOf: path.path)) { error in
      XCTAssertTrue("\(error)".contains(path.lastPathComponent), "\(error)")
    }
    XCTAssertThrowsError(try PatchTrainer(network: Network(architecture: .keyface, seed: 1), options: .defaults(for: .keyface)))
  }
}

extension PatchTrainerTests {
  /// In a training sample, each keypoint's dot is where its target says (the darkest patch pixel), for the
  /// keypoints whose patch shows no other keypoint's dot.
  func testTargetsPointAtTheKeypointsInTheirPatches() throws {
    let (frames, faces) = PatchTrainerTests.syntheticFaces(count: 1, seed: 5)
    let patches = KeypointPatches(size: 16, resolution: 1.5)
    let truth = faces[0].points
    let truthFrame = try XCTUnwrap(KeypointPatches.faceFrame(truth))
    let estimate = truth.enumerated().map { $0.element + truthFrame.linear(SIMD2(Float($0.offset % 3) - 1, 1)) }
    let face = try XCTUnwrap(KeypointPatches.faceFrame(estimate))
    var bytes = [UInt8](repeating: 0, count: 15 * 256)
    frames[0].pixels.withUnsafeBufferPointer { src in
      bytes.withUnsafeMutableBufferPointer { dst in
        patches.sample(src, width: 300, height: 300, centers: estimate, face: face, into: dst.baseAddress!)
      }
    }
    var checked = 0
    for k in 0..<15 {
      let transform = patches.patchTransform(center: estimate[k], face: face)
      let alone = (0..<15).allSatisfy { j in
        let q = transform.invert(truth[j])
        return j == k || q.x < -3 || q.y < -3 || q.x > 19 || q.y > 19
      }
      guard alone else { continue }
      checked += 1
      let q = transform.invert(truth[k])
      let patch = bytes[(k * 256)..<((k + 1) * 256)]
      let darkest = patch.indices.min { patch[$0] < patch[$1] }! - k * 256
      XCTAssertEqual(Float(darkest % 16) + 0.5, q.x, accuracy: 1.2, "keypoint \(k)")
      XCTAssertEqual(Float(darkest / 16) + 0.5, q.y, accuracy: 1.2, "keypoint \(k)")
    }
    XCTAssertGreaterThanOrEqual(checked, 5)
  }
}

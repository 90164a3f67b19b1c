import KeyfaceMedia
import KeyfaceNN
import XCTest

@testable import KeyfaceFaces

final class PatchRefinementTests: XCTestCase {
  /// A patch network that always answers "each keypoint lies `shift` patch pixels from its patch's centre".
  static func constantRefiner(shift: SIMD2<Float>, minimumEyeDistance: Float) throws -> PatchRefiner {
    let architecture = Architecture(
      name: "constant-patches", inputSize: 8, inputChannels: 15,
      layers: [.conv(out: 2, kernel: 3, stride: 1, padding: 0), .relu, .flatten, .linear(out: 30)],
      outputCount: 30, inputScale: 1.0 / 255.0, inputOffset: 0, targetCenter: 4, targetScale: 4, patchResolution: 1)
    let network = Network(architecture: architecture, seed: 1)
    let weight = network.parameters[network.parameters.count - 2], bias = network.parameters[network.parameters.count - 1]
    weight.value = Tensor(zeros: weight.value.shape)
    bias.value.data = (0..<30).map { $0 % 2 == 0 ? shift.x / 4 : shift.y / 4 }
    return try PatchRefiner(network: network, minimumEyeDistance: minimumEyeDistance)
  }

  /// The tracker sends a large face through the refinement stage in every frame, after its network passes, and
  /// leaves a small one alone.
  func testTrackerRefinesLargeFacesAndSkipsSmallOnes() throws {
    let large = SyntheticFace(center: SIMD2(110, 120), radius: 60)  // outer eye corners ~109 px apart
    let small = SyntheticFace(center: SIMD2(320, 120), radius: 16)  // ~29 px
    let refiner = try PatchRefinementTests.constantRefiner(shift: SIMD2(0.5, -0.25), minimumEyeDistance: 60)
    let finder = CountingFinder()
    finder.faces = [large, small]
    let plain = FaceTracker(
      estimator: DiscEstimator(), finder: finder,
      options: TrackerOptions(detectEvery: 100, smoothing: false, backgroundDetection: false))
    let refined = FaceTracker(
      estimator: DiscEstimator(), patchRefiner: refiner, finder: finder,
      options: TrackerOptions(detectEvery: 100, smoothing: false, backgroundDetection: false))
    let image = SyntheticFace.render([large, small], width: 400, height: 240)
    for t in 0..<5 {
      let expected = plain.process(image, time: Double(t) / 30)
      let got = refined.process(image, time: Double(t) / 30)
      XCTAssertEqual(got.count, 2, "frame \(t)")
      XCTAssertEqual(expected.count, 2, "frame \(t)")
      guard got.count == 2, expected.count == 2 else { return }
      // The small face: as the network found it.
      XCTAssertEqual(got[1].keypoints, expected[1].keypoints, "frame \(t)")
      // The large face: each point moved by the constant answer, one patch pixel being one crop unit.
      let scale = large.radius / SyntheticFace.layoutRadius
      for k in 0..<15 {
        let moved = got[0].keypoints[k] - expected[0].keypoints[k]
        XCTAssertEqual(moved.x, 0.5 * scale, accuracy: 0.05, "frame \(t), keypoint \(k)")
        XCTAssertEqual(moved.y, -0.25 * scale, accuracy: 0.05, "frame \(t), keypoint \(k)")
      }
    }
    // One refinement per frame: the large face only.
    XCTAssertEqual(refined.refinedFaces, 5)
  }
}

import XCTest

@testable import KeyfaceNN

/// A small patch network: 15 channels of 12x12 patches, as `keyface-patches` but cheap.
let tinyPatchArchitecture = Architecture(
  name: "tiny-patches", inputSize: 12, inputChannels: 15,
  layers: [
    .conv(out: 6, kernel: 3, stride: 1, padding: 0), .batchNorm, .relu, .maxPool(size: 2),
    .conv(out: 8, kernel: 3, stride: 1, padding: 1), .batchNorm, .relu,
    .conv(out: 15, kernel: 3, stride: 1, padding: 1), .softArgmax,
  ],
  outputCount: 30, inputScale: 1.0 / 255.0, inputOffset: -0.5, targetCenter: 6, targetScale: 6,
  patchResolution: 1)

final class RefinementTests: XCTestCase {
  func testSimilarityFitRecoversATransformAndInverts() throws {
    let truth = Similarity(a: 2.1 * cosf(0.3), b: 2.1 * sinf(0.3), shift: SIMD2(40, -7))
    let source = KaggleLayout.meanPoints
    let fitted = try XCTUnwrap(Similarity.fit(from: source, to: source.map(truth.apply)))
    XCTAssertEqual(fitted.a, truth.a, accuracy: 1e-4)
    XCTAssertEqual(fitted.b, truth.b, accuracy: 1e-4)
    XCTAssertEqual(fitted.shift.x, truth.shift.x, accuracy: 1e-2)
    XCTAssertEqual(fitted.scale, 2.1, accuracy: 1e-4)
    let p = SIMD2<Float>(13, 71)
    XCTAssertEqual(fitted.invert(fitted.apply(p)).x, p.x, accuracy: 1e-3)
    XCTAssertEqual(fitted.invert(fitted.apply(p)).y, p.y, accuracy: 1e-3)
    XCTAssertNil(Similarity.fit(from: [SIMD2(1, 1), SIMD2(1, 1)], to: [SIMD2(0, 0), SIMD2(3, 3)]))
  }

  /// A patch is centred on its keypoint, turned with the face and scaled by `resolution`: on a picture whose value
  /// is its x coordinate, the patch's values step by (frame pixels per patch pixel) x cos(angle) along a row.
  func testPatchesAreCentredTurnedAndScaled() throws {
    let width = 400, height = 300
    let pixels = (0..<(width * height)).map { UInt8(min(255, $0 % width / 2)) }  // value = x / 2
    let angle: Float = 0.2
    let face = Similarity(a: 3 * cosf(angle), b: 3 * sinf(angle), shift: SIMD2(60, 40))
    let points = KaggleLayout.meanPoints.map(face.apply)
    let frame = try XCTUnwrap(KeypointPatches.faceFrame(points))
    XCTAssertEqual(frame.scale, 3, accuracy: 1e-3)
    XCTAssertEqual(KeypointPatches.eyeDistance(points), 3 * 50.95, accuracy: 0.1)
    let patches = KeypointPatches(size: 20, resolution: 2)
    var out = [UInt8](repeating: 0, count: 15 * 400)
    pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        patches.sample(src, width: width, height: height, centers: points, face: frame, into: dst.baseAddress!)
      }
    }
    for k in [0, 10, 14] {
      let patch = Array(out[(k * 400)..<((k + 1) * 400)])
      // The patch centre lies between pixels (9, 9) and (10, 10): their mean is the keypoint's value.
      let centre = (Float(patch[9 * 20 + 9]) + Float(patch[10 * 20 + 10]) + Float(patch[9 * 20 + 10]) + Float(patch[10 * 20 + 9])) / 4
      XCTAssertEqual(centre, (points[k].x - 0.5) / 2, accuracy: 1.0, "keypoint \(k)")
      // 1.5 frame pixels per patch pixel along the turned row: x grows by 1.5 cos(angle), the value by half that.
      let step = (Float(patch[10 * 20 + 16]) - Float(patch[10 * 20 + 4])) / 12
      XCTAssertEqual(step, 1.5 * cosf(angle) / 2, accuracy: 0.06, "keypoint \(k)")
    }
  }

  /// The compiled plan agrees with the network on 15-channel patch inputs (im2col and Winograd paths).
  func testPatchNetworkInferenceMatchesForward() {
    for winograd in [true, false] {
      InferencePlan.useWinograd = winograd
      defer { InferencePlan.useWinograd = true }
      let network = Network(architecture: tinyPatchArchitecture, seed: 5)
      let size = 15 * 144
      _ = network.forward(Tensor(shape: [4, 15, 12, 12], data: GradientCheck.random(4 * size, seed: 1, range: 2)), training: true)
      var generator = SplitMix64(seed: 3)
      let count = 5
      let crops = (0..<count * size).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
      let x = Tensor(shape: [count, 15, 12, 12], data: crops.map { Float($0) / 255 - 0.5 })
      let expected = network.forward(x, training: false)
      let predictor = KeypointPredictor(network: network, maxBatch: 2)
      let (points, _) = predictor.predictions(crops, count: count)
      for n in 0..<count {
        for k in 0..<15 {
          XCTAssertEqual(points[n * 15 + k].x, expected.data[n * 30 + 2 * k] * 6 + 6, accuracy: 1e-4)
          XCTAssertEqual(points[n * 15 + k].y, expected.data[n * 30 + 2 * k + 1] * 6 + 6, accuracy: 1e-4)
        }
      }
    }
  }

  /// Backward through a network whose first convolution reads 15 channels matches finite differences.
  func testPatchNetworkGradientsMatchFiniteDifferences() {
    let network = Network(architecture: tinyPatchArchitecture, seed: 7)
    let x = Tensor(shape: [2, 15, 12, 12], data: GradientCheck.random(2 * 15 * 144, seed: 4))
    let target = Tensor(shape: [2, 30], data: GradientCheck.random(60, seed: 5))
    let mask = Tensor(shape: [2, 30], data: [Float](repeating: 1, count: 60))
    GradientCheck.checkNetwork(network, input: x, target: target, mask: mask, samples: 5)
  }

  /// The refiner maps each keypoint's answer from its own patch back to the picture, skips faces below its size
  /// and refuses networks that read face crops.
  func testRefinerMapsPatchAnswersBackAndSkipsSmallFaces() throws {
    var linearHead = tinyPatchArchitecture
    linearHead.layers.removeLast(2)
    linearHead.layers += [.flatten, .linear(out: 30)]
    let network = Network(architecture: linearHead, seed: 9)
    // A network that always answers "the patch centre shifted by (+1.2, -0.6) patch pixels".
    let weight = network.parameters[network.parameters.count - 2], bias = network.parameters[network.parameters.count - 1]
    weight.value = Tensor(zeros: weight.value.shape)
    bias.value.data = (0..<30).map { $0 % 2 == 0 ? 1.2 / 6 : -0.6 / 6 }
    let refiner = try PatchRefiner(network: network, minimumEyeDistance: 60)
    let face = Similarity(a: 2 * cosf(-0.4), b: 2 * sinf(-0.4), shift: SIMD2(30, 50))  // eyes ~102 px apart
    let large = KaggleLayout.meanPoints.map(face.apply)
    let small = KaggleLayout.meanPoints.map { $0 * 0.5 + SIMD2(200, 10) }  // ~25 px
    let pixels = [UInt8](repeating: 100, count: 320 * 240)
    let refined = refiner.refine([large, small], pixels: pixels, width: 320, height: 240)
    XCTAssertEqual(refined[1], small)
    // 1 patch pixel = 1/resolution crop units = 2 frame pixels, turned with the face.
    let expected = face.linear(SIMD2(1.2, -0.6))
    for k in 0..<15 {
      XCTAssertEqual(refined[0][k].x - large[k].x, expected.x, accuracy: 1e-3)
      XCTAssertEqual(refined[0][k].y - large[k].y, expected.y, accuracy: 1e-3)
    }
    XCTAssertThrowsError(try PatchRefiner(network: Network(architecture: tinyArchitecture, seed: 1)))

    // Flip averaging: the mirrored view's constant answer comes back mirrored, so the x shifts cancel and the
    // horizontal calibration (0.4 patch px along the face's x axis) is all that stays. (The layout is not exactly
    // symmetric, so the mirrored face's frame differs slightly in scale and turn: 2%.)
    network.horizontalOffset = 0.4
    let flipping = try PatchRefiner(network: network, minimumEyeDistance: 60)
    flipping.flipAverage = true
    let averaged = flipping.refine([large], pixels: pixels, width: 320, height: 240)[0]
    let kept = face.linear(SIMD2(0.4, -0.6))
    for k in 0..<15 {
      XCTAssertEqual(averaged[k].x - large[k].x, kept.x, accuracy: 0.03, "keypoint \(k)")
      XCTAssertEqual(averaged[k].y - large[k].y, kept.y, accuracy: 0.03, "keypoint \(k)")
    }
  }

  func testPatchPresetShapesAndRoundTrip() throws {
    let shapes = try Architecture.keyfacePatches.shapes()
    XCTAssertEqual(shapes.first, [30, 40, 40])
    XCTAssertEqual(shapes.last, [30])
    XCTAssertEqual(Architecture.keyfacePatches.patchResolution, 2.5)
    let data = try JSONEncoder().encode(Architecture.keyfacePatches)
    XCTAssertEqual(try JSONDecoder().decode(Architecture.self, from: data), Architecture.keyfacePatches)
    // Files written before refinement networks existed have no patch resolution.
    XCTAssertFalse(String(decoding: try JSONEncoder().encode(Architecture.keyface), as: UTF8.self).contains("patch"))
    let bundled = try Network.bundled(.patches)
    XCTAssertEqual(bundled.architecture, Architecture.keyfacePatches)
  }
}

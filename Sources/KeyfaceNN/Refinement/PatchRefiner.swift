// The refinement stage at inference: a face's first estimate of its keypoints frames 15 patches at up to the
// face's own resolution (`KeypointPatches`), one batched network call predicts where each keypoint lies in its
// patch, and the answers go back to picture pixels. Faces smaller than the 96-px crop already resolves are left
// alone (`minimumEyeDistance`), so they cost nothing more.

/// Refines keypoints with a patch network (an architecture with `patchResolution`).
///
/// Not thread-safe (it owns a predictor and buffers): one refiner per thread.
public final class PatchRefiner {
  /// The patches' geometry, from the network's architecture.
  public let patches: KeypointPatches
  /// Faces whose outer eye corners are closer than this (picture pixels) are not refined.
  public var minimumEyeDistance: Float
  /// Network calls per face, each on patches re-centred on the previous call's answer (1; two measured worse on the
  /// validation people: median NME 0.0339 -> 0.0349 on faces of 120 px and more).
  public var passes = 1
  /// Also refine each face in the mirrored picture and average the two answers (twice the work).
  public var flipAverage = false
  private let predictor: KeypointPredictor
  private var input: [UInt8] = []
  private var points: [SIMD2<Float>] = []
  private var scores: [Float] = []

  /// Faces of at least this outer-eye-corner distance (picture pixels) are refined by default. On the validation
  /// people's photos, refining from 40 px on improved the 30-50 px faces a little (median NME 0.0386 -> 0.0385) and
  /// left smaller ones as they were; refining every face changed the medians by no more than that either way, so
  /// smaller faces are left alone and cost nothing more (README, "The bundled models").
  public static let defaultMinimumEyeDistance: Float = 40

  /// Compiles `network` for inference. - Throws: `ArchitectureError` when it is not a patch network.
  public init(network: Network, minimumEyeDistance: Float = PatchRefiner.defaultMinimumEyeDistance) throws {
    let architecture = network.architecture
    guard let resolution = architecture.patchResolution else {
      throw ArchitectureError("'\(architecture.name)' is not a refinement (patch) network")
    }
    guard architecture.inputChannels % Keypoints.count == 0, architecture.outputCount == 2 * Keypoints.count else {
      throw ArchitectureError(
        "a refinement network needs \(Keypoints.count) input channels per scale and \(2 * Keypoints.count) outputs")
    }
    patches = KeypointPatches(
      size: architecture.inputSize, resolution: resolution, scales: architecture.inputChannels / Keypoints.count)
    self.minimumEyeDistance = minimumEyeDistance
    predictor = KeypointPredictor(network: network, maxBatch: 4)
  }

  /// Whether a face with these keypoints (picture pixels) gets refined.
  public func applies(to face: [SIMD2<Float>]) -> Bool {
    face.count == Keypoints.count && KeypointPatches.eyeDistance(face) >= minimumEyeDistance
  }

  /// The keypoints of every face refined in a `width` x `height` grey picture; faces `applies(to:)` turns down, or
  /// whose points frame no face, come back unchanged.
  public func refine(
    _ faces: [[SIMD2<Float>]], pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int
  ) -> [[SIMD2<Float>]] {
    var result = faces
    for _ in 0..<max(1, passes) { result = refineOnce(result, pixels: pixels, width: width, height: height) }
    return result
  }

  private func refineOnce(
    _ faces: [[SIMD2<Float>]], pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int
  ) -> [[SIMD2<Float>]] {
    var result = faces
    // Each face to refine, as seen and (with flipAverage) in the mirrored picture, whose keypoints are the face's
    // mirrored with every left/right pair swapped.
    var views: [(index: Int, centers: [SIMD2<Float>], face: Similarity, mirrored: Bool)] = []
    for (i, face) in faces.enumerated() where applies(to: face) {
      guard let frame = KeypointPatches.faceFrame(face) else { continue }
      views.append((i, face, frame, false))
      if flipAverage {
        let centers = Keypoints.mirrored(face, width: Float(width))
        if let mirroredFrame = KeypointPatches.faceFrame(centers) { views.append((i, centers, mirroredFrame, true)) }
      }
    }
    guard !views.isEmpty else { return result }
    let k = Keypoints.count
    let area = patches.bytesPerFace
    if input.count < views.count * area { input = [UInt8](repeating: 0, count: views.count * area) }
    if points.count < views.count * k { points = [SIMD2<Float>](repeating: .zero, count: views.count * k) }
    if scores.count < views.count { scores = [Float](repeating: 0, count: views.count) }
    input.withUnsafeMutableBufferPointer { buffer in
      for (slot, view) in views.enumerated() {
        patches.sample(
          pixels, width: width, height: height, centers: view.centers, face: view.face,
          into: buffer.baseAddress! + slot * area, mirrored: view.mirrored)
      }
    }
    input.withUnsafeBufferPointer { crops in
      points.withUnsafeMutableBufferPointer { p in
        scores.withUnsafeMutableBufferPointer { s in
          predictor.predict(
            crops: UnsafeBufferPointer(rebasing: crops[0..<(views.count * area)]), count: views.count,
            points: UnsafeMutableBufferPointer(rebasing: p[0..<(views.count * k)]),
            scores: UnsafeMutableBufferPointer(rebasing: s[0..<views.count]))
        }
      }
    }
    var sums: [Int: (points: [SIMD2<Float>], count: Float)] = [:]
    for (slot, view) in views.enumerated() {
      // The calibration (`horizontalOffset`, added along the face's x axis) holds for faces as annotated; a mirror
      // reverses it, so a mirrored view's answer moves back by twice the offset before it is mapped back.
      let correction = SIMD2<Float>(view.mirrored ? -2 * predictor.horizontalOffset : 0, 0)
      var answer = (0..<k).map { j in
        patches.patchTransform(center: view.centers[j], face: view.face).apply(points[slot * k + j] + correction)
      }
      if view.mirrored { answer = Keypoints.mirrored(answer, width: Float(width)) }
      let sum = sums[view.index]
      sums[view.index] = (sum.map { zip($0.points, answer).map { $0 + $1 } } ?? answer, (sum?.count ?? 0) + 1)
    }
    for (index, sum) in sums { result[index] = sum.points.map { $0 / sum.count } }
    return result
  }

  /// `refine` on a picture held in an array.
  public func refine(_ faces: [[SIMD2<Float>]], pixels: [UInt8], width: Int, height: Int) -> [[SIMD2<Float>]] {
    pixels.withUnsafeBufferPointer { refine(faces, pixels: $0, width: width, height: height) }
  }
}

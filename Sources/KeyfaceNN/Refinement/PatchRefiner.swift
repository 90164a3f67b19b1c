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
  private let predictor: KeypointPredictor
  private var input: [UInt8] = []
  private var points: [SIMD2<Float>] = []
  private var scores: [Float] = []

  /// Faces of at least this outer-eye-corner distance (picture pixels) are refined by default: the distance at
  /// which a face starts to hold more detail than its 96-px crop (about 51 px there), measured as the size above
  /// which refining lowers the error of the validation people's photos (README, "The bundled models").
  public static let defaultMinimumEyeDistance: Float = 60

  /// Compiles `network` for inference. - Throws: `ArchitectureError` when it is not a patch network.
  public init(network: Network, minimumEyeDistance: Float = PatchRefiner.defaultMinimumEyeDistance) throws {
    let architecture = network.architecture
    guard let resolution = architecture.patchResolution else {
      throw ArchitectureError("'\(architecture.name)' is not a refinement (patch) network")
    }
    guard architecture.inputChannels == Keypoints.count, architecture.outputCount == 2 * Keypoints.count else {
      throw ArchitectureError(
        "a refinement network needs \(Keypoints.count) input channels and \(2 * Keypoints.count) outputs")
    }
    patches = KeypointPatches(size: architecture.inputSize, resolution: resolution)
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
    var chosen: [(index: Int, face: Similarity)] = []
    for (i, face) in faces.enumerated() where applies(to: face) {
      if let frame = KeypointPatches.faceFrame(face) { chosen.append((i, frame)) }
    }
    guard !chosen.isEmpty else { return result }
    let k = Keypoints.count
    let area = patches.size * patches.size * k
    if input.count < chosen.count * area { input = [UInt8](repeating: 0, count: chosen.count * area) }
    if points.count < chosen.count * k { points = [SIMD2<Float>](repeating: .zero, count: chosen.count * k) }
    if scores.count < chosen.count { scores = [Float](repeating: 0, count: chosen.count) }
    input.withUnsafeMutableBufferPointer { buffer in
      for (slot, item) in chosen.enumerated() {
        patches.sample(
          pixels, width: width, height: height, centers: faces[item.index], face: item.face,
          into: buffer.baseAddress! + slot * area)
      }
    }
    input.withUnsafeBufferPointer { crops in
      points.withUnsafeMutableBufferPointer { p in
        scores.withUnsafeMutableBufferPointer { s in
          predictor.predict(
            crops: UnsafeBufferPointer(rebasing: crops[0..<(chosen.count * area)]), count: chosen.count,
            points: UnsafeMutableBufferPointer(rebasing: p[0..<(chosen.count * k)]),
            scores: UnsafeMutableBufferPointer(rebasing: s[0..<chosen.count]))
        }
      }
    }
    for (slot, item) in chosen.enumerated() {
      let face = faces[item.index]
      result[item.index] = (0..<k).map { j in
        patches.patchTransform(center: face[j], face: item.face).apply(points[slot * k + j])
      }
    }
    return result
  }

  /// `refine` on a picture held in an array.
  public func refine(_ faces: [[SIMD2<Float>]], pixels: [UInt8], width: Int, height: Int) -> [[SIMD2<Float>]] {
    pixels.withUnsafeBufferPointer { refine(faces, pixels: $0, width: width, height: height) }
  }
}

// Trains the refinement (patch) network from full frames: each step takes faces with their true keypoints, draws
// a first estimate from the measured error model (`EstimateErrors`), frames the face from that estimate exactly as
// `PatchRefiner` does at inference, samples the 15 patches and regresses the true points in patch pixels. Fresh
// estimates every epoch; a fixed set for validation, scored as face-alignment papers score (per face, the mean
// point error over the outer-eye-corner distance: NME), before and after refinement.
import Foundation
import KeyfaceNN

/// One face of the refinement training data.
public struct PatchTrainingFace: Equatable {
  /// Index of its frame.
  public var frame: Int
  /// Its 15 true keypoints in frame pixels (Kaggle's order).
  public var points: [SIMD2<Float>]

  public init(frame: Int, points: [SIMD2<Float>]) {
    self.frame = frame
    self.points = points
  }
}

/// Validation of a refinement network: NME of the first estimates and of the refined points.
public struct PatchValidation: Equatable {
  /// Faces scored.
  public var count: Int
  /// Median NME of the first estimates.
  public var medianBefore: Double
  /// Median NME after refinement.
  public var medianAfter: Double
  /// Mean NME after refinement.
  public var meanAfter: Double
  /// Median NME after refinement of the faces the stage is for (outer eye corners at least the trainer's
  /// `minimumEyeDistance` apart): the score that picks the best epoch.
  public var medianAfterApplied: Double
  /// Per size of face (outer-eye-corner distance in pixels: lower bound of the bucket), (faces, median before,
  /// median after).
  public var bySize: [(Float, Int, Double, Double)]

  public static func == (l: PatchValidation, r: PatchValidation) -> Bool {
    l.count == r.count && l.medianBefore == r.medianBefore && l.medianAfter == r.medianAfter
      && l.meanAfter == r.meanAfter && l.medianAfterApplied == r.medianAfterApplied && l.bySize.elementsEqual(r.bySize) { $0 == $1 }
  }

  /// e.g. `median NME 0.0412 -> 0.0301 (mean 0.0325); 50+: 0.0401 -> 0.0299 (120 faces), ...`.
  public var line: String {
    var text = String(
      format: "median NME %.4f -> %.4f (mean %.4f; refined sizes %.4f)", medianBefore, medianAfter, meanAfter,
      medianAfterApplied)
    for (low, n, before, after) in bySize where n > 0 {
      text += String(format: "; %.0f+: %.4f -> %.4f (%d)", low, before, after, n)
    }
    return text
  }
}

/// Trains a patch network (an architecture with `patchResolution`).
public final class PatchTrainer {
  /// The network being trained; it ends holding the best epoch's weights.
  public let network: Network
  /// Epochs, batch size, learning rate and schedule, loss, seed and photometric augmentation (`augmentation`'s
  /// brightness and contrast; its geometric settings are unused: the error model moves the patches).
  public let options: TrainingOptions
  /// Multiplies the sampled first-estimate errors (1: as measured).
  public let errorScale: Float
  /// Train on mirror images too (half the samples, left/right keypoints swapped). A mirror reverses any horizontal
  /// offset between the annotations and the features they mark, so the two halves cancel it; each saved network is
  /// therefore calibrated on its training faces (`Network.horizontalOffset`, in patch pixels), as `Trainer` does.
  public let mirror: Bool
  /// After `train`: the kept network's validation with two passes per face (see `PatchRefiner.passes`).
  public private(set) var twoPasses: PatchValidation?
  /// After `train`: the kept network's validation with flip averaging (see `PatchRefiner.flipAverage`).
  public private(set) var flipAveraged: PatchValidation?
  /// Called after every epoch with (epoch, mean training loss, validation, seconds, is best).
  public var onEpoch: ((Int, Double, PatchValidation, Double, Bool) -> Void)?

  private let patches: KeypointPatches
  private let sizeBuckets: [Float] = [0, 30, 50, 80, 120]

  /// - Throws: `TrainingError` when the network is not a patch network.
  /// Train on faces whose outer eye corners are at least this many pixels apart, and pick the epoch by the
  /// validation faces of those sizes (0: all).
  public let minimumEyeDistance: Float

  public init(
    network: Network, options: TrainingOptions, errorScale: Float = 1, mirror: Bool = false,
    minimumEyeDistance: Float = 0
  ) throws {
    let architecture = network.architecture
    guard let resolution = architecture.patchResolution, architecture.inputChannels % Keypoints.count == 0,
      architecture.outputCount == 2 * Keypoints.count
    else { throw TrainingError("'\(architecture.name)' is not a refinement (patch) network") }
    self.network = network
    self.options = options
    self.errorScale = errorScale
    self.mirror = mirror
    self.minimumEyeDistance = minimumEyeDistance
    patches = KeypointPatches(
      size: architecture.inputSize, resolution: resolution, scales: architecture.inputChannels / Keypoints.count)
  }

  /// Trains on `split.training` faces (of at least `minimumEyeDistance`) and validates on `split.validation` after
  /// each epoch (keeping the epoch with the lowest median NME over the validation faces of those sizes), saving the best network to `checkpoint` after each improvement.
  public func train(
    frames: [FaceFrames.Frame], faces: [PatchTrainingFace], split: DataSplit, errors: EstimateErrors,
    checkpoint: URL?, metadata: [String: String] = [:]
  ) throws -> PatchValidation {
    precondition(faces.allSatisfy { frames.indices.contains($0.frame) && $0.points.count == Keypoints.count })
    guard errors.cholesky() != nil else { throw TrainingError("the estimate-error covariance is not positive definite") }
    let sampler = ErrorSampler(errors, scale: errorScale)
    let training = split.training.filter { KeypointPatches.eyeDistance(faces[$0].points) >= minimumEyeDistance }
    guard !training.isEmpty else { throw TrainingError("no training faces") }
    // The validation estimates are drawn once, so every epoch is scored on the same ones.
    var fixed = SeededRandom(mixing: options.seed, 0x5641_4C)
    let validationEstimates = split.validation.map { row -> [SIMD2<Float>] in
      estimate(of: faces[row].points, errors: sampler.sample(using: &fixed))
    }
    let stepsPerEpoch = (training.count + options.batchSize - 1) / options.batchSize
    let totalSteps = max(1, stepsPerEpoch * options.epochs)
    let schedule: LearningRateSchedule =
      options.schedule == .constant
      ? .constant(options.learningRate)
      : .warmupCosine(
        peak: options.learningRate, warmupSteps: min(stepsPerEpoch * options.warmupEpochs, totalSteps / 2),
        totalSteps: totalSteps, floor: options.learningRate * 0.01)
    let optimizer = Adam(
      parameters: network.parameters, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: options.weightDecay)
    var best: (score: Double, values: [Tensor], offset: Float, validation: PatchValidation)?
    // Calibration faces: up to 1,000 training faces spread evenly, each with one fixed first estimate.
    let calibrationRows = stride(from: 0, to: training.count, by: max(1, training.count / 1000)).map { training[$0] }
    var calibrationRandom = SeededRandom(mixing: options.seed, 0x4341_4C)
    let calibrationEstimates = mirror
      ? calibrationRows.map { estimate(of: faces[$0].points, errors: sampler.sample(using: &calibrationRandom)) } : []
    network.horizontalOffset = 0
    var step = 0
    for epoch in 1...max(1, options.epochs) where options.epochs > 0 {
      let started = Date()
      var random = SeededRandom(mixing: options.seed, UInt64(epoch), 0x5041_5443)
      let order = training.shuffled(using: &random)
      var lossSum = 0.0
      var batches = 0
      var start = 0
      while start < order.count {
        let rows = Array(order[start..<min(start + options.batchSize, order.count)])
        let (input, target) = batch(rows, frames: frames, faces: faces, sampler: sampler, random: &random)
        network.zeroGrad()
        let output = network.forward(input, training: true)
        let mask = Tensor(shape: target.shape, data: [Float](repeating: 1, count: target.count))
        let (loss, gradient): (Float, Tensor)
        switch options.loss {
        case .mse: (loss, gradient) = Loss.maskedMSE(prediction: output, target: target, mask: mask)
        case .l1: (loss, gradient) = Loss.maskedL1(prediction: output, target: target, mask: mask)
        case .wing:
          (loss, gradient) = Loss.maskedWing(
            prediction: output, target: target, mask: mask, w: 10 / network.architecture.targetScale,
            epsilon: 2 / network.architecture.targetScale)
        }
        network.backward(gradient)
        optimizer.step(learningRate: schedule.rate(at: step))
        step += 1
        lossSum += Double(loss)
        batches += 1
        start += rows.count
      }
      if mirror {
        network.horizontalOffset = 0
        network.horizontalOffset = horizontalCalibration(
          frames: frames, faces: calibrationRows.map { faces[$0] }, estimates: calibrationEstimates)
      }
      let validation = validate(
        frames: frames, faces: split.validation.map { faces[$0] }, estimates: validationEstimates)
      let score = validation.medianAfterApplied.isFinite ? validation.medianAfterApplied : -Double(epoch)
      let improved = best == nil || score < best!.score
      if improved {
        best = (score, (network.parameters + network.buffers).map(\.value), network.horizontalOffset, validation)
        if let checkpoint {
          var entries = metadata
          entries["best_epoch"] = String(epoch)
          entries["validation_nme"] = String(format: "%.5f", validation.medianAfter)
          try Trainer.saveAtomically(network, to: checkpoint, metadata: entries)
        }
      }
      onEpoch?(epoch, lossSum / Double(max(batches, 1)), validation, Date().timeIntervalSince(started), improved)
    }
    if let best {
      for (parameter, value) in zip(network.parameters + network.buffers, best.values) { parameter.value = value }
      network.horizontalOffset = best.offset
      let validationFaces = split.validation.map { faces[$0] }
      twoPasses = validate(frames: frames, faces: validationFaces, estimates: validationEstimates, passes: 2)
      flipAveraged = validate(frames: frames, faces: validationFaces, estimates: validationEstimates, flipAverage: true)
      return best.validation
    }
    return validate(frames: frames, faces: split.validation.map { faces[$0] }, estimates: validationEstimates)
  }

  /// Scores the network on `faces` from the given first estimates (one per face).
  public func validate(
    frames: [FaceFrames.Frame], faces: [PatchTrainingFace], estimates: [[SIMD2<Float>]], passes: Int = 1,
    flipAverage: Bool = false
  ) -> PatchValidation {
    precondition(faces.count == estimates.count, "PatchTrainer.validate: one estimate per face")
    guard let refiner = try? PatchRefiner(network: network, minimumEyeDistance: 0) else {
      preconditionFailure("PatchTrainer: the network is a patch network")
    }
    refiner.passes = passes
    refiner.flipAverage = flipAverage
    var before: [Double] = [], after: [Double] = [], sizes: [Float] = []
    for (face, estimate) in zip(faces, estimates) {
      let frame = frames[face.frame]
      let refined = refiner.refine([estimate], pixels: frame.pixels, width: frame.width, height: frame.height)[0]
      let eye = Double(KeypointPatches.eyeDistance(face.points))
      func nme(_ p: [SIMD2<Float>]) -> Double {
        var total = 0.0
        for (a, b) in zip(p, face.points) {
          let d = a - b
          total += Double((d * d).sum().squareRoot())
        }
        return total / Double(p.count) / eye
      }
      before.append(nme(estimate))
      after.append(nme(refined))
      sizes.append(Float(eye))
    }
    func median(_ v: [Double]) -> Double {
      guard !v.isEmpty else { return .nan }
      let s = v.sorted()
      return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
    var bySize: [(Float, Int, Double, Double)] = []
    for (i, low) in sizeBuckets.enumerated() {
      let high = i + 1 < sizeBuckets.count ? sizeBuckets[i + 1] : .infinity
      let chosen = sizes.indices.filter { sizes[$0] >= low && sizes[$0] < high }
      bySize.append((low, chosen.count, median(chosen.map { before[$0] }), median(chosen.map { after[$0] })))
    }
    let applied = sizes.indices.filter { sizes[$0] >= minimumEyeDistance }.map { after[$0] }
    return PatchValidation(
      count: faces.count, medianBefore: median(before), medianAfter: median(after),
      meanAfter: after.isEmpty ? .nan : after.reduce(0, +) / Double(after.count), medianAfterApplied: median(applied),
      bySize: bySize)
  }

  /// Minus the mean horizontal error of the refined points along each face's own x axis, in patch pixels: the
  /// `horizontalOffset` that puts the network's answers where the annotations sit on average.
  func horizontalCalibration(
    frames: [FaceFrames.Frame], faces: [PatchTrainingFace], estimates: [[SIMD2<Float>]]
  ) -> Float {
    guard !faces.isEmpty, let refiner = try? PatchRefiner(network: network, minimumEyeDistance: 0) else { return 0 }
    var total = 0.0, count = 0
    for (face, estimate) in zip(faces, estimates) {
      let frame = frames[face.frame]
      guard let faceFrame = KeypointPatches.faceFrame(estimate) else { continue }
      let refined = refiner.refine([estimate], pixels: frame.pixels, width: frame.width, height: frame.height)[0]
      for (p, t) in zip(refined, face.points) {
        total += Double(faceFrame.invert(p).x - faceFrame.invert(t).x)
        count += 1
      }
    }
    // Crop units along the face's x axis, times patch pixels per crop unit.
    return count == 0 ? 0 : -Float(total / Double(count)) * patches.resolution
  }

  /// A first estimate: the true points moved by `errors` (crop units) in the face's frame.
  func estimate(of truth: [SIMD2<Float>], errors: [SIMD2<Float>]) -> [SIMD2<Float>] {
    guard let frame = KeypointPatches.faceFrame(truth) else { return truth }
    return zip(truth, errors).map { $0 + frame.linear($1) }
  }

  /// One training batch: inputs (B, 15, size, size) normalised as the network expects, targets (B, 30).
  func batch(
    _ rows: [Int], frames: [FaceFrames.Frame], faces: [PatchTrainingFace], sampler: ErrorSampler,
    random: inout SeededRandom
  ) -> (Tensor, Tensor) {
    let architecture = network.architecture
    let k = Keypoints.count
    let area = patches.bytesPerFace
    var bytes = [UInt8](repeating: 0, count: area)
    var input = [Float](repeating: 0, count: rows.count * area)
    var target = [Float](repeating: 0, count: rows.count * 2 * k)
    let augmentation = options.augmentation
    for (slot, row) in rows.enumerated() {
      let frame = frames[faces[row].frame]
      let mirrored = mirror && random.next() % 2 == 1
      let truth = mirrored ? Keypoints.mirrored(faces[row].points, width: Float(frame.width)) : faces[row].points
      var estimate = estimate(of: truth, errors: sampler.sample(using: &random))
      var faceFrame = KeypointPatches.faceFrame(estimate)
      if faceFrame == nil {
        estimate = truth
        faceFrame = KeypointPatches.faceFrame(estimate)
      }
      guard let faceFrame else { continue }
      let contrast = augmentation.map { random.uniform(1 - $0.maxContrast, 1 + $0.maxContrast) } ?? 1
      let brightness = augmentation.map { random.uniform(-$0.maxBrightness, $0.maxBrightness) * 255 } ?? 0
      // Contrast about mid-grey, then brightness.
      let offset = brightness + 127.5 * (1 - contrast)
      frame.pixels.withUnsafeBufferPointer { pixels in
        bytes.withUnsafeMutableBufferPointer { out in
          patches.sample(
            pixels, width: frame.width, height: frame.height, centers: estimate, face: faceFrame,
            into: out.baseAddress!, gain: contrast, offset: offset, mirrored: mirrored)
        }
      }
      let base = slot * area
      for i in 0..<area { input[base + i] = Float(bytes[i]) * architecture.inputScale + architecture.inputOffset }
      for j in 0..<k {
        let q = patches.patchTransform(center: estimate[j], face: faceFrame).invert(truth[j])
        target[slot * 2 * k + 2 * j] = (q.x - architecture.targetCenter) / architecture.targetScale
        target[slot * 2 * k + 2 * j + 1] = (q.y - architecture.targetCenter) / architecture.targetScale
      }
    }
    return (
      Tensor(shape: [rows.count, patches.scales * k, patches.size, patches.size], data: input),
      Tensor(shape: [rows.count, 2 * k], data: target)
    )
  }
}

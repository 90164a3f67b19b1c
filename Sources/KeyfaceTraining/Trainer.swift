// The training loop: shuffled batches (faces plus optional non-face crops), augmentation, a masked keypoint
// loss plus a masked face-score cross-entropy, Adam/AdamW with a learning-rate schedule, validation RMSE after
// every epoch, and the best epoch's weights kept and checkpointed atomically. Everything random is seeded.
import Foundation
import KeyfaceNN

/// What happened in one epoch.
public struct EpochReport: Equatable {
  /// 1-based epoch number.
  public var epoch: Int
  /// Mean training loss over the epoch's batches (keypoint loss plus weighted score loss).
  public var trainLoss: Double
  /// Validation RMSE in 96-px units (NaN without validation faces).
  public var validationRMSE: Double
  /// Fraction of validation faces and held-out non-faces the face score classifies right (nil without negatives).
  public var scoreAccuracy: Double?
  /// Wall-clock seconds for training and validating the epoch.
  public var seconds: Double
  /// Learning rate at the epoch's last step.
  public var learningRate: Float
  /// Whether this epoch is the best so far (lowest validation RMSE; the latest without validation).
  public var isBest: Bool

  /// The stderr line, e.g. `epoch  3/60  train loss 0.04210  val RMSE 1.234 px  27.1 s  *`.
  public var line: String {
    var text = "epoch \(String(format: "%3d", epoch))  train loss \(String(format: "%.5f", trainLoss))"
    text += validationRMSE.isFinite ? "  val RMSE \(String(format: "%.3f", validationRMSE)) px" : "  val RMSE -"
    if let scoreAccuracy { text += "  score acc \(String(format: "%.1f", 100 * scoreAccuracy))%" }
    text += "  \(String(format: "%.1f", seconds)) s  lr \(String(format: "%.2e", learningRate))"
    return isBest ? text + "  *" : text
  }
}

/// The outcome of `Trainer.train`.
public struct TrainingResult: Equatable {
  /// Every epoch's report, in order.
  public var epochs: [EpochReport]
  /// 1-based number of the kept epoch.
  public var bestEpoch: Int
  /// Validation RMSE of the kept epoch in px (NaN without validation faces), before its horizontal calibration.
  public var bestValidationRMSE: Double
  /// The kept network's `horizontalOffset` (crop px), measured on its training faces.
  public var horizontalOffset: Float
}

/// Trains a `Network` on Kaggle-format faces; the network ends holding the best epoch's weights.
public final class Trainer {
  /// The network being trained.
  public let network: Network
  /// Settings.
  public let options: TrainingOptions
  /// Called after every batch with (epoch, batches done, batches per epoch, running mean loss).
  public var onBatch: ((Int, Int, Int, Double) -> Void)?
  /// Called after every epoch.
  public var onEpoch: ((EpochReport) -> Void)?

  /// Creates a trainer; `options.problem` must be nil.
  public init(network: Network, options: TrainingOptions) {
    precondition(options.problem == nil, "Trainer: \(options.problem ?? "")")
    self.network = network
    self.options = options
  }

  /// Trains on `split.training` rows of `faces` (and all but a tenth of `negatives`, which only teach the face
  /// score), validating on `split.validation` after each epoch. Each improving epoch is calibrated
  /// (`horizontalCalibration`) and saved with its offset; with 0 epochs the network is only measured, calibrated
  /// and saved.
  /// - Parameters:
  ///   - checkpoint: where the best network so far is saved (atomically) after each improving epoch, with its
  ///     loss curves beside it as `NAME.curves.svg`; nil saves nothing.
  ///   - frames: the full frames of `faces`, to draw the training crops from (see `FaceFrames`); validation
  ///     always uses the stored crops.
  ///   - auxiliary: more points per face that training also regresses, weighted by `options.landmarkWeight`, on
  ///     extra outputs of a widened copy of the network; `network` (and the checkpoint) keeps only its own outputs.
  ///   - metadata: extra `__metadata__` entries for the checkpoint.
  /// - Throws: if the checkpoint cannot be written.
  public func train(
    faces: KaggleDataset, split: DataSplit, negatives: KaggleDataset? = nil, frames: FaceFrames? = nil,
    auxiliary: AuxiliaryLandmarks? = nil, checkpoint: URL? = nil, metadata: [String: String] = [:]
  ) throws -> TrainingResult {
    precondition(frames == nil || frames!.placements.count == faces.count, "Trainer: one frame placement per face")
    precondition(auxiliary == nil || auxiliary!.count == faces.count, "Trainer: one set of auxiliary points per face")
    let architecture = network.architecture
    // With auxiliary points, a copy whose last layer has outputs for them too trains, and `network` takes its
    // weights (less those outputs) before each validation.
    let trainee = try auxiliary.map { try Trainer.widened(network, extraOutputs: 2 * $0.pointCount, seed: options.seed) }
    let trained = trainee ?? network
    let trainScore = architecture.hasScore && negatives != nil && (negatives?.count ?? 0) > 0
    var negativeTraining: [Int] = []
    var negativeValidation: [Int] = []
    if let negatives, trainScore {
      let negativeSplit = DataSplit.random(count: negatives.count, fraction: 0.1, seed: options.seed ^ 0x4E45_47)
      negativeTraining = negativeSplit.training
      negativeValidation = negativeSplit.validation
    }
    let samples = split.training.map(TrainingSample.face) + negativeTraining.map(TrainingSample.negative)
    let stepsPerEpoch = (samples.count + options.batchSize - 1) / options.batchSize
    let totalSteps = stepsPerEpoch * options.epochs
    // The schedule runs on a fine-grained progress scale, so a time budget can drive it as well as the step count.
    let resolution = 1_000_000
    let schedule: LearningRateSchedule
    switch options.schedule {
    case .constant:
      schedule = .constant(options.learningRate)
    case .cosine:
      let warmup = min(Double(options.warmupEpochs) / Double(max(options.epochs, 1)), 0.5)
      schedule = .warmupCosine(
        peak: options.learningRate, warmupSteps: Int(warmup * Double(resolution)), totalSteps: resolution,
        floor: options.learningRate * 0.01)
    }
    let trainingStarted = Date()
    func progress(_ step: Int) -> Double {
      var fraction = Double(step) / Double(max(totalSteps, 1))
      if let budget = options.timeBudget { fraction = max(fraction, Date().timeIntervalSince(trainingStarted) / budget) }
      return min(fraction, 1)
    }
    // Keras's Adam defaults (epsilon 1e-7) so that the seed recipe matches the notebook.
    let optimizer = Adam(
      parameters: trained.parameters, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: options.weightDecay)
    let predictor = DatasetPredictor(network: network, batchSize: 128)
    // The network trains uncalibrated; each saved copy carries the offset measured for its weights.
    network.horizontalOffset = 0
    func save(offset: Float, epoch: Int, rmse: Double) throws {
      guard let checkpoint else { return }
      var entries = metadata
      entries["best_epoch"] = String(epoch)
      entries["validation_rmse_px"] = rmse.isFinite ? String(format: "%.4f", rmse) : "none"
      network.horizontalOffset = offset
      defer { network.horizontalOffset = 0 }
      try Trainer.saveAtomically(network, to: checkpoint, metadata: entries)
    }
    if options.epochs == 0 {
      // Nothing to train: measure and calibrate the network as it is.
      let rmse = split.validation.isEmpty ? Double.nan : predictor.errors(on: faces, indices: split.validation).rmse
      let offset = horizontalCalibration(faces: faces, rows: split.training)
      try save(offset: offset, epoch: 0, rmse: rmse)
      network.horizontalOffset = offset
      return TrainingResult(epochs: [], bestEpoch: 0, bestValidationRMSE: rmse, horizontalOffset: offset)
    }

    var reports: [EpochReport] = []
    var best: (epoch: Int, rmse: Double, values: [Tensor], offset: Float)?
    var step = 0
    var outOfTime = false
    for epoch in 1...options.epochs where !outOfTime {
      let started = Date()
      var random = SeededRandom(mixing: options.seed, UInt64(epoch), 0x5348_5546)
      let order = samples.shuffled(using: &random)
      var lossSum = 0.0
      var batches = 0
      var rate = schedule.rate(at: Int(progress(step) * Double(resolution)))
      var start = 0
      while start < order.count {
        let done = progress(step)
        if options.timeBudget != nil && done >= 1 {
          outOfTime = true
          break
        }
        let slice = order[start..<min(start + options.batchSize, order.count)]
        let batch = BatchBuilder.batch(
          slice, faces: faces, negatives: negatives, architecture: architecture, augmentation: options.augmentation,
          trainScore: trainScore, seed: options.seed, epoch: epoch, frames: frames, auxiliary: auxiliary)
        trained.zeroGrad()
        let output = trained.forward(batch.input, training: true)  // (B, outputCount + auxiliary coordinates)
        let (loss, dOutput) = self.loss(output, batch, architecture: architecture)
        trained.backward(dOutput)
        rate = schedule.rate(at: Int(done * Double(resolution)))
        optimizer.step(learningRate: rate)
        step += 1
        lossSum += Double(loss)
        batches += 1
        start += slice.count
        onBatch?(epoch, batches, stepsPerEpoch, lossSum / Double(batches))
      }
      if batches == 0 { break }
      if let trainee { Trainer.copyWeights(from: trainee, to: network) }

      let rmse = split.validation.isEmpty ? Double.nan : predictor.errors(on: faces, indices: split.validation).rmse
      var accuracy: Double?
      if trainScore, let negatives {
        accuracy = scoreAccuracy(predictor, faces: faces, faceRows: split.validation, negatives: negatives,
          negativeRows: negativeValidation)
      }
      let improved = split.validation.isEmpty || best == nil || rmse < best!.rmse
      var report = EpochReport(
        epoch: epoch, trainLoss: lossSum / Double(max(batches, 1)), validationRMSE: rmse, scoreAccuracy: accuracy,
        seconds: 0, learningRate: rate, isBest: improved)
      if improved {
        let offset = horizontalCalibration(faces: faces, rows: split.training)
        best = (epoch, rmse, (network.parameters + network.buffers).map(\.value), offset)
        try save(offset: offset, epoch: epoch, rmse: rmse)
      }
      report.seconds = Date().timeIntervalSince(started)
      reports.append(report)
      if let checkpoint {
        try? LossCurvePlot(reports: reports).svg.write(to: Trainer.curvesURL(for: checkpoint), atomically: true, encoding: .utf8)
      }
      onEpoch?(report)
    }
    if let best {
      for (parameter, value) in zip(network.parameters + network.buffers, best.values) { parameter.value = value }
      network.horizontalOffset = best.offset
    }
    return TrainingResult(
      epochs: reports, bestEpoch: best?.epoch ?? 0, bestValidationRMSE: best?.rmse ?? .nan,
      horizontalOffset: best?.offset ?? 0)
  }

  /// The `horizontalOffset` for the network's current weights (run uncalibrated): minus its mean x error on up
  /// to 1,000 of the training faces (evenly spread over `rows`), each averaged with its mirror image as photos
  /// are. Flip averaging cannot remove the part of that error it leaves (see `Network.horizontalOffset`).
  func horizontalCalibration(faces: KaggleDataset, rows: [Int]) -> Float {
    guard !rows.isEmpty else { return 0 }
    let step = max(1, rows.count / 1000)
    let sample = stride(from: 0, to: rows.count, by: step).map { rows[$0] }
    var calibrator = DatasetPredictor(network: network, batchSize: 128)
    calibrator.flipAverage = true
    let saved = network.horizontalOffset
    network.horizontalOffset = 0
    defer { network.horizontalOffset = saved }
    return -calibrator.meanHorizontalError(on: faces, indices: sample)
  }

  /// The combined masked loss and its gradient for one batch.
  private func loss(_ output: Tensor, _ batch: BatchBuilder.Batch, architecture: Architecture) -> (Float, Tensor) {
    let n = output.shape[0]
    let outputs = output.shape[1]  // the architecture's, then any auxiliary coordinates
    let k = KaggleDataset.coordinateCount
    var keypoints = Tensor(zeros: [n, k])
    for b in 0..<n {
      for j in 0..<k { keypoints.data[b * k + j] = output.data[b * outputs + j] }
    }
    let (pointsLoss, dKeypoints) = keypointLoss(keypoints, batch.target, batch.mask, architecture)
    var dOutput = Tensor(zeros: [n, outputs])
    for b in 0..<n {
      for j in 0..<k { dOutput.data[b * outputs + j] = dKeypoints.data[b * k + j] }
    }
    var total = pointsLoss
    if architecture.hasScore && batch.scoreMask.data.contains(where: { $0 > 0 }) {
      var logits = Tensor(zeros: [n, 1])
      for b in 0..<n { logits.data[b] = output.data[b * outputs + architecture.outputCount - 1] }
      let (scoreLoss, dLogits) = Loss.maskedBinaryCrossEntropyWithLogits(
        prediction: logits, target: batch.scoreTarget, mask: batch.scoreMask)
      total += options.scoreWeight * scoreLoss
      for b in 0..<n { dOutput.data[b * outputs + architecture.outputCount - 1] = options.scoreWeight * dLogits.data[b] }
    }
    let a = batch.auxiliaryTarget.shape[1]
    if a > 0 {
      // Auxiliary points: the keypoints' loss, after the architecture's own outputs.
      precondition(outputs == architecture.outputCount + a, "Trainer: auxiliary outputs")
      var points = Tensor(zeros: [n, a])
      for b in 0..<n {
        for j in 0..<a { points.data[b * a + j] = output.data[b * outputs + architecture.outputCount + j] }
      }
      let (pointLoss, dPoints) = keypointLoss(points, batch.auxiliaryTarget, batch.auxiliaryMask, architecture)
      total += options.landmarkWeight * pointLoss
      for b in 0..<n {
        for j in 0..<a {
          dOutput.data[b * outputs + architecture.outputCount + j] = options.landmarkWeight * dPoints.data[b * a + j]
        }
      }
    }
    return (total, dOutput)
  }

  /// `options.loss` of normalised coordinates (Wing's width and curvature are 10 and 2 px).
  private func keypointLoss(
    _ prediction: Tensor, _ target: Tensor, _ mask: Tensor, _ architecture: Architecture
  ) -> (Float, Tensor) {
    switch options.loss {
    case .mse: return Loss.maskedMSE(prediction: prediction, target: target, mask: mask)
    case .l1: return Loss.maskedL1(prediction: prediction, target: target, mask: mask)
    case .wing:
      return Loss.maskedWing(
        prediction: prediction, target: target, mask: mask, w: 10 / architecture.targetScale,
        epsilon: 2 / architecture.targetScale)
    }
  }

  /// A copy of `network` whose last (linear) layer has `extraOutputs` more outputs after its own: the shared
  /// weights are `network`'s, the extra ones initialised from `seed`.
  /// - Throws: if the architecture does not end in a linear layer.
  static func widened(_ network: Network, extraOutputs: Int, seed: UInt64) throws -> Network {
    var architecture = network.architecture
    guard case .linear(let out)? = architecture.layers.last else {
      throw TrainingError("auxiliary points need an architecture that ends in a linear layer ('\(architecture.name)' does not)")
    }
    architecture.layers[architecture.layers.count - 1] = .linear(out: out + extraOutputs)
    architecture.outputCount += extraOutputs
    let wide = Network(architecture: architecture, seed: seed)
    for (target, source) in zip(wide.parameters + wide.buffers, network.parameters + network.buffers) {
      target.value.data.withUnsafeMutableBufferPointer { $0.update(fromContentsOf: source.value.data) }
    }
    return wide
  }

  /// Copies `wide`'s weights into `network`, which has the same layers but fewer outputs in the last one: each
  /// tensor of `network` takes the leading elements of its counterpart (a linear weight's first rows).
  static func copyWeights(from wide: Network, to network: Network) {
    for (target, source) in zip(network.parameters + network.buffers, wide.parameters + wide.buffers) {
      precondition(target.name == source.name && target.value.count <= source.value.count, "Trainer: layers differ")
      target.value.data = Array(source.value.data.prefix(target.value.count))
    }
  }

  private func scoreAccuracy(
    _ predictor: DatasetPredictor, faces: KaggleDataset, faceRows: [Int], negatives: KaggleDataset,
    negativeRows: [Int]
  ) -> Double? {
    let faceScores = predictor.predict(faces, indices: faceRows).scores ?? []
    let negativeScores = predictor.predict(negatives, indices: negativeRows).scores ?? []
    let total = faceScores.count + negativeScores.count
    guard total > 0 else { return nil }
    let right = faceScores.filter { $0 >= 0.5 }.count + negativeScores.filter { $0 < 0.5 }.count
    return Double(right) / Double(total)
  }

  /// `model.safetensors` -> `model.curves.svg`.
  public static func curvesURL(for model: URL) -> URL {
    model.deletingPathExtension().appendingPathExtension("curves.svg")
  }

  /// Saves to a temporary file beside `url`, then renames it over `url`, so readers never see half a model.
  public static func saveAtomically(_ network: Network, to url: URL, metadata: [String: String]) throws {
    let temporary = url.deletingLastPathComponent().appendingPathComponent(
      ".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).partial")
    try network.save(to: temporary, metadata: metadata)
    guard rename(temporary.path, url.path) == 0 else {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(at: temporary)
      throw TrainingError("\(url.path): cannot write: \(reason)")
    }
  }
}

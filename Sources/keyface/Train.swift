import ArgumentParser
import Foundation
import KeyfaceNN
import KeyfaceTraining

/// `keyface train`: trains a keypoint network on a Kaggle-format CSV and saves the best epoch.
struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train a keypoint network on a Kaggle-format training CSV (plain or .gz).",
    discussion: """
      One line per epoch goes to stderr (train loss, validation RMSE in 96-px units, seconds); the best epoch is \
      saved to --out after every improvement, with its loss curves beside it as NAME.curves.svg. Runs repeat \
      exactly for a given --seed and --threads.
      """)

  /// Network layouts `--arch` accepts.
  enum ArchitectureChoice: String, ExpressibleByArgument, CaseIterable {
    case seed, keyface
    case keyfaceDeep = "keyface-deep"
    case keyfaceBN = "keyface-bn"
    case keyfaceDeepBN = "keyface-deep-bn"
    case keyfacePatches = "keyface-patches"
  }

  @Option(
    help:
      "Training CSV with 30 keypoint columns and Image (Kaggle's training.csv, plain or .gz). Not used by --arch keyface-patches, which trains on --frames alone.")
  var data: String?

  @Option(help: "Where to save the model (.safetensors); written atomically after each improving epoch.")
  var out: String

  @Option(help: "Network: 'seed' (the Keras notebook's CNN), 'keyface' (the bundled models', with a face score), 'keyface-deep' (keyface with a second 128-channel convolution), 'keyface-bn' and 'keyface-deep-bn' (the same with batch normalisation), 'keyface-patches' (the refinement stage: 40-px patches around each keypoint at up to 2.5x the crop's resolution, trained from --frames with first estimates drawn from --estimate-errors).")
  var arch: ArchitectureChoice = .keyface

  @Option(
    help:
      "Passes over the training faces (default: 20 for seed, 60 for the others). 0 with --initial-model trains nothing: it measures that model and redoes its horizontal calibration (the mean x error flip averaging leaves, measured on the training faces).")
  var epochs: Int?

  @Option(help: "Dropout probability before each dense layer (default: none). Fine-tuning with --initial-model needs the same value as the model was trained with.")
  var dropout: Float?

  @Option(help: "Faces per optimiser step.")
  var batchSize: Int = 32

  @Option(help: "Peak learning rate (default: 0.001).")
  var learningRate: Float?

  @Option(help: "Decoupled (AdamW) weight decay (default: 0).")
  var weightDecay: Float?

  @Option(help: "Keypoint loss: mse, wing or l1 (default: mse).")
  var loss: KeypointLoss?

  @Option(help: "Learning-rate schedule: constant or cosine (warm-up then cosine; default: constant for seed, cosine for keyface).")
  var schedule: ScheduleKind?

  @Option(help: "Fraction held out for validation: of rows, or with --val-groups of groups (people).")
  var valFraction: Double = 0.2

  @Option(help: "CSV with an 'identity' column, rows aligned with --data: whole identities go to validation.")
  var valGroups: String?

  @Option(help: "Seed for weights, split, shuffling and augmentation.")
  var seed: UInt64 = 42

  @Flag(help: "Train on the faces as stored: no flips, geometric or photometric changes.")
  var noAugment = false

  @Option(help: "Largest augmentation rotation in degrees.")
  var maxRotation: Float = AugmentationOptions.standard.maxRotationDegrees

  @Option(help: "Largest augmentation scale change (0.05 = +-5%).")
  var maxScale: Float = AugmentationOptions.standard.maxScale

  @Option(help: "Largest augmentation shift in pixels.")
  var maxShift: Float = AugmentationOptions.standard.maxShift

  @Option(help: "Share of faces given rotation, scale and shift (the rest keep their framing).")
  var geometricProbability: Float = AugmentationOptions.standard.geometricProbability

  @Option(help: "Largest brightness change as a fraction of full scale.")
  var brightness: Float = AugmentationOptions.standard.maxBrightness

  @Option(help: "Largest relative contrast change.")
  var contrast: Float = AugmentationOptions.standard.maxContrast

  @Option(help: "Kaggle-format CSV of non-face 96x96 crops (keypoint cells empty) that teach the face score.")
  var negatives: String?

  @Option(help: "BLAS threads (default: all cores).")
  var threads: Int?

  @Option(help: ArgumentHelp("Start from this model's weights (same architecture) instead of random ones, to fine-tune.", valueName: "model"))
  var initialModel: String?

  @Option(
    help: ArgumentHelp(
      "68-point landmark table of the same faces, rows aligned with --data, with its images in images/ beside it (faces68's landmarks68.csv): training crops are drawn from the full frames, so augmentation shows real surroundings instead of repeated borders. Validation uses --data's crops.",
      valueName: "landmarks68.csv"))
  var frames: String?

  @Option(
    help: ArgumentHelp(
      "68-point landmark table of the same faces, rows aligned with --data (faces68's landmarks68.csv): training also regresses all 68 points on extra outputs, an auxiliary task that teaches the shape around each keypoint. The saved model predicts the 15 keypoints only.",
      valueName: "landmarks68.csv"))
  var landmarks: String?

  @Option(help: "Weight of the 68 landmarks' loss relative to the keypoints' (with --landmarks).")
  var landmarkWeight: Float = TrainingOptions.defaults(for: .keyface).landmarkWeight

  @Option(
    help: ArgumentHelp(
      "With --arch keyface-patches: the measured first-estimate errors to train on (JSON from scripts/estimate_errors.py: mean and covariance of the 30 errors in crop units).",
      valueName: "errors.json"))
  var estimateErrors: String?

  @Option(help: "With --arch keyface-patches: multiplies the sampled first-estimate errors (1: as measured).")
  var errorScale: Float = 1

  @Option(help: "With --arch keyface-patches: train on faces whose outer eye corners are at least this many pixels apart, and keep the epoch that scores best on validation faces of those sizes (validation reports every size).")
  var patchMinEye: Float = 0

  @Option(help: "Stop after this many minutes, annealing the learning rate to fit (the run is then not exactly repeatable).")
  var timeBudget: Double?

  func validate() throws {
    try ReplaceableFile.check(out, option: "--out")
    if let epochs, epochs < 0 || (epochs == 0 && initialModel == nil) {
      throw ValidationError("--epochs must be at least 1 (or 0 with --initial-model, to recalibrate it)")
    }
    if batchSize < 1 || batchSize > 4096 { throw ValidationError("--batch-size must be in 1...4096") }
    if let dropout, !(dropout > 0 && dropout < 1) { throw ValidationError("--dropout must be in 0<..<1, e.g. 0.3") }
    if let learningRate, !(learningRate > 0 && learningRate < 10) {
      throw ValidationError("--learning-rate must be positive, e.g. 0.001")
    }
    if let weightDecay, !(weightDecay >= 0 && weightDecay < 1) { throw ValidationError("--weight-decay must be in 0..<1") }
    if !(valFraction >= 0 && valFraction < 1) { throw ValidationError("--val-fraction must be in 0..<1") }
    if valGroups != nil && valFraction == 0 { throw ValidationError("--val-groups needs a --val-fraction above 0") }
    if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1...256") }
    if let timeBudget, !(timeBudget > 0 && timeBudget < 100_000) { throw ValidationError("--time-budget must be positive minutes") }
    if !(landmarkWeight >= 0 && landmarkWeight < 1000) { throw ValidationError("--landmark-weight must be in 0..<1000") }
    if negatives != nil && arch == .seed {
      throw ValidationError("--negatives trains the face score, which the seed architecture lacks; use --arch keyface")
    }
    if noAugment {
      let d = AugmentationOptions.standard
      if maxRotation != d.maxRotationDegrees || maxScale != d.maxScale || maxShift != d.maxShift
        || brightness != d.maxBrightness || contrast != d.maxContrast || geometricProbability != d.geometricProbability
      {
        throw ValidationError("--no-augment cannot be combined with augmentation strengths")
      }
    } else if let problem = augmentation.problem {
      throw ValidationError("augmentation: \(problem)")
    }
    if !out.hasSuffix(".safetensors") { throw ValidationError("--out must end in .safetensors") }
    if arch == .keyfacePatches {
      guard frames != nil else { throw ValidationError("--arch keyface-patches trains from --frames landmarks68.csv") }
      guard estimateErrors != nil else { throw ValidationError("--arch keyface-patches needs --estimate-errors FILE") }
      guard errorScale > 0 && errorScale < 10 else { throw ValidationError("--error-scale must be in 0<..<10") }
      if landmarks != nil || negatives != nil || timeBudget != nil {
        throw ValidationError("--landmarks, --negatives and --time-budget do not apply to --arch keyface-patches")
      }
    } else {
      if data == nil { throw ValidationError("--data is required (except with --arch keyface-patches)") }
      if estimateErrors != nil { throw ValidationError("--estimate-errors applies to --arch keyface-patches only") }
    }
  }

  private var augmentation: AugmentationOptions {
    var a = AugmentationOptions.standard
    a.maxRotationDegrees = maxRotation
    a.maxScale = maxScale
    a.maxShift = maxShift
    a.geometricProbability = geometricProbability
    a.maxBrightness = brightness
    a.maxContrast = contrast
    return a
  }

  func run() throws {
    if let threads { Network.setThreads(threads) }
    var architecture = Architecture.presets[arch.rawValue]!
    if let dropout { architecture = architecture.withDropout(dropout) }
    var options = TrainingOptions.defaults(for: architecture)
    options.seed = seed
    options.batchSize = batchSize
    if let epochs { options.epochs = epochs }
    if let learningRate { options.learningRate = learningRate }
    if let weightDecay { options.weightDecay = weightDecay }
    if let loss { options.loss = loss }
    if let schedule { options.schedule = schedule }
    options.timeBudget = timeBudget.map { $0 * 60 }
    options.landmarkWeight = landmarkWeight
    options.augmentation = noAugment ? nil : (arch == .seed && !augmentationGiven ? nil : augmentation)
    if arch == .keyfacePatches { return try trainPatches(architecture: architecture, options: options) }
    guard let data else { throw ValidationError("--data is required") }

    let started = Date()
    let faces = try KaggleDataset(contentsOf: data)
    guard faces.hasKeypoints else { throw TrainingError("\(data): no keypoint columns; this looks like a test file") }
    guard faces.count > 0 else { throw TrainingError("\(data): no faces") }
    let split: DataSplit
    if let valGroups {
      let groups = try DataSplit.readGroups(path: valGroups)
      guard groups.count == faces.count else {
        throw TrainingError("\(valGroups): \(groups.count) rows, but \(data) has \(faces.count) faces; rows must align")
      }
      split = DataSplit.byGroups(groups, fraction: valFraction)
    } else {
      split = DataSplit.random(count: faces.count, fraction: valFraction, seed: seed)
    }
    guard !split.training.isEmpty else { throw TrainingError("\(data): nothing left to train on after the split") }
    let negativeFaces = try negatives.map { path -> KaggleDataset in
      let set = try KaggleDataset(contentsOf: path)
      guard set.count > 0 else { throw TrainingError("\(path): no crops") }
      return set
    }
    let faceFrames = try frames.map { try LandmarkFrames.load(path: $0, faces: faces) }
    let auxiliary = try landmarks.map { try LandmarkFrames.auxiliary(path: $0, faces: faces) }
    let augmentText = (options.augmentation == nil ? "off" : "on") + (faceFrames != nil ? ", crops drawn from the frames" : "")
      + (auxiliary != nil ? ", 68 landmarks as an auxiliary task" : "")
    printLine(
      "loaded \(faces.count) faces in \(String(format: "%.1f", Date().timeIntervalSince(started))) s: "
        + "\(split.training.count) train, \(split.validation.count) validation"
        + (valGroups != nil ? " (identity split)" : "")
        + (negativeFaces.map { ", \($0.count) non-face crops" } ?? "")
        + "; arch \(architecture.name), loss \(options.loss.rawValue), augmentation \(augmentText)")

    let network: Network
    if let initialModel {
      network = try Network(contentsOf: URL(fileURLWithPath: initialModel))
      // Recalibrating (0 epochs) takes the model as it is; fine-tuning needs the architecture --arch names.
      let same = network.architecture.layers == architecture.layers
        && network.architecture.outputCount == architecture.outputCount
      guard options.epochs == 0 || same else {
        throw TrainingError(
          "\(initialModel): its layers ('\(network.architecture.name)') differ from --arch \(architecture.name)'s")
      }
    } else {
      network = Network(architecture: architecture, seed: seed)
    }
    let trainer = Trainer(network: network, options: options)
    let progress = ProgressBar(enabled: isatty(2) == 1)
    trainer.onBatch = { epoch, done, total, loss in
      progress.update("epoch \(epoch)/\(options.epochs)", done: done, total: total, suffix: String(format: "loss %.5f", loss))
    }
    trainer.onEpoch = { report in
      progress.clear()
      printLine(report.line)
    }
    var metadata: [String: String] = [
      "trained_on": URL(fileURLWithPath: data).lastPathComponent,
      "training_faces": String(split.training.count),
      "validation_faces": String(split.validation.count),
      "validation_split": valGroups != nil ? "identity groups, fraction \(valFraction)" : "random rows, fraction \(valFraction)",
      "validation_fraction": String(valFraction),
      "seed": String(seed),
      "epochs": String(options.epochs),
      "loss": options.loss.rawValue,
      "augmentation": augmentText,
      "license": "Trained on research-only annotations (300-W, YouTube Faces); research use only.",
    ]
    if let negativeFaces { metadata["negatives"] = String(negativeFaces.count) }
    if let frames { metadata["frames"] = URL(fileURLWithPath: frames).lastPathComponent }
    if let landmarks {
      metadata["auxiliary_landmarks"] = URL(fileURLWithPath: landmarks).lastPathComponent
      metadata["landmark_weight"] = String(landmarkWeight)
    }
    if let initialModel { metadata["initial_model"] = URL(fileURLWithPath: initialModel).lastPathComponent }
    if options.epochs == 0 {
      // Recalibrating only: the model keeps the description of how it was trained.
      let generated: Set = ["architecture", "keypoints", "format", "horizontal_offset", "best_epoch", "validation_rmse_px"]
      metadata = network.metadata.filter { !generated.contains($0.key) }
      metadata["calibrated_on"] = URL(fileURLWithPath: data).lastPathComponent
    }
    let url = URL(fileURLWithPath: out)
    let result = try trainer.train(
      faces: faces, split: split, negatives: negativeFaces, frames: faceFrames, auxiliary: auxiliary, checkpoint: url,
      metadata: metadata)
    var summary = "best epoch \(result.bestEpoch), validation RMSE "
    if result.bestValidationRMSE.isFinite {
      let calibrated = DatasetPredictor(network: network).errors(on: faces, indices: split.validation).rmse
      summary += String(format: "%.3f px (%.3f px calibrated)", result.bestValidationRMSE, calibrated)
    } else {
      summary += "n/a"
    }
    summary += String(format: ", horizontal offset %+.3f px; saved ", result.horizontalOffset) + out
    if options.epochs > 0 { summary += " and " + Trainer.curvesURL(for: url).path }
    printLine(summary)
  }

  /// Whether any augmentation strength was given explicitly (turns augmentation on for the seed).
  private var augmentationGiven: Bool { augmentation != .standard }
}

/// Writes one line to stderr.
func printLine(_ line: String) {
  FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
}

extension KeypointLoss: ExpressibleByArgument {}
extension ScheduleKind: ExpressibleByArgument {}

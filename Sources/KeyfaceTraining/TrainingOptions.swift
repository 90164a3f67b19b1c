import KeyfaceNN

/// The loss on keypoint coordinates (always masked: missing keypoints add nothing).
public enum KeypointLoss: String, CaseIterable, Equatable {
  /// Mean squared error, as the seed notebook.
  case mse
  /// Wing loss (Feng et al. 2018): logarithmic for small errors, L1 for large ones; w = 10 px, epsilon = 2 px.
  case wing
  /// Mean absolute error.
  case l1
}

/// How the learning rate changes over training.
public enum ScheduleKind: String, CaseIterable, Equatable {
  /// The same rate throughout, as the seed notebook.
  case constant
  /// Linear warm-up, then cosine decay to 1% of the peak.
  case cosine
}

/// Everything `Trainer` needs besides the data; `defaults(for:)` gives the settings per architecture.
public struct TrainingOptions: Equatable {
  /// Passes over the training faces (60); 0 only measures and calibrates the network.
  public var epochs: Int
  /// Faces per optimiser step (32).
  public var batchSize: Int
  /// Peak learning rate (0.001).
  public var learningRate: Float
  /// Decoupled weight decay, AdamW style: each step shrinks weights by learningRate * weightDecay (0.02); 0 gives Adam.
  public var weightDecay: Float
  /// Learning-rate schedule.
  public var schedule: ScheduleKind
  /// Warm-up length in epochs for the cosine schedule (2).
  public var warmupEpochs: Int
  /// Keypoint loss.
  public var loss: KeypointLoss
  /// Augmentation, or nil to use every face as stored.
  public var augmentation: AugmentationOptions?
  /// Weight of the face-score cross-entropy relative to the keypoint loss (0.2).
  public var scoreWeight: Float
  /// Weight of the auxiliary points' loss relative to the keypoint loss, when training has them (0.5).
  public var landmarkWeight: Float = 0.5
  /// Seed for initial weights, shuffling, augmentation and dropout (42).
  public var seed: UInt64
  /// Wall-clock limit in seconds (2700), or nil. With a budget, the schedule runs on the larger of the step
  /// fraction and the elapsed-time fraction and training stops when either reaches 1, so a run on a busy machine
  /// still anneals and ends on time; such a run is no longer exactly repeatable.
  public var timeBudget: Double?

  /// Creates options.
  public init(
    epochs: Int = 60, batchSize: Int = 32, learningRate: Float = 0.001, weightDecay: Float = 1e-4,
    schedule: ScheduleKind = .cosine, warmupEpochs: Int = 2, loss: KeypointLoss = .wing,
    augmentation: AugmentationOptions? = .standard, scoreWeight: Float = 0.2, seed: UInt64 = 42,
    timeBudget: Double? = nil
  ) {
    self.epochs = epochs
    self.batchSize = batchSize
    self.learningRate = learningRate
    self.weightDecay = weightDecay
    self.schedule = schedule
    self.warmupEpochs = warmupEpochs
    self.loss = loss
    self.augmentation = augmentation
    self.scoreWeight = scoreWeight
    self.seed = seed
    self.timeBudget = timeBudget
  }

  /// The seed notebook's recipe for `seed` (Adam 1e-3, constant rate, MSE, 20 epochs, no augmentation) and the
  /// default model's first stage for every other architecture (Adam 1e-3, warm-up + cosine, MSE, augmentation).
  public static func defaults(for architecture: Architecture) -> TrainingOptions {
    if architecture.name == "seed" {
      return TrainingOptions(
        epochs: 20, batchSize: 32, learningRate: 0.001, weightDecay: 0, schedule: .constant, warmupEpochs: 0,
        loss: .mse, augmentation: nil, scoreWeight: 0.2, seed: 42)
    }
    return TrainingOptions(
      epochs: 60, batchSize: 32, learningRate: 0.001, weightDecay: 0, schedule: .cosine, warmupEpochs: 2,
      loss: .mse, augmentation: .standard, scoreWeight: 0.2, seed: 42)
  }

  /// A description of the first unusable setting, or nil.
  public var problem: String? {
    if epochs < 0 || epochs > 100_000 { return "epochs must be between 0 and 100000" }
    if batchSize < 1 || batchSize > 4096 { return "batch size must be in 1...4096" }
    if !(learningRate > 0 && learningRate < 10) { return "learning rate must be positive (e.g. 0.001)" }
    if !(weightDecay >= 0 && weightDecay < 1) { return "weight decay must be in 0..<1" }
    if warmupEpochs < 0 { return "warm-up epochs must not be negative" }
    if !(scoreWeight >= 0 && scoreWeight.isFinite) { return "score weight must not be negative" }
    if !(landmarkWeight >= 0 && landmarkWeight.isFinite) { return "landmark weight must not be negative" }
    if let timeBudget, !(timeBudget > 0 && timeBudget.isFinite) { return "time budget must be positive" }
    if let problem = augmentation?.problem { return problem }
    return nil
  }
}

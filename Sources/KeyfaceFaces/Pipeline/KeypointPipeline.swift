// The streaming pipeline: three stages on their own threads, joined by bounded queues so memory stays flat
// however long the input and the stages overlap on both cores.
//
//   decode (FFmpeg, threaded)  ->  track + crop + infer (the calling thread)  ->  output (sinks: JSON, CSV,
//                                                                                  drawing + encoding)
//
// Tracking makes frame t depend on frame t-1's keypoints, so the middle stage is one thread: batches are the
// faces of one frame. Every stage is first-in first-out, so output stays in frame order, and every decoded
// frame gives exactly one result. A cancellation flag stops decoding; the frames in flight are still written
// and the sinks are ended with `.cancelled`, so a video file is finished properly.
import Dispatch
import Foundation
import KeyfaceDetection
import KeyfaceMedia
import KeyfaceNN

/// Streams the keypoints of every face in every frame of one or more inputs into a sink.
public final class KeypointPipeline {
  /// The options in force.
  public let options: PipelineOptions
  /// Warnings about the inputs (corrupt data skipped), one line each, called from the decoding thread.
  public var onWarning: ((String) -> Void)?
  /// Called on the output thread after each frame was written, e.g. to draw a progress bar.
  public var onFrame: ((SourceInfo, FrameResult) -> Void)?

  private let estimator: KeypointEstimating
  private let mirrored: KeypointEstimating
  private let finder: FaceFinding?
  private let stillImageFinder: FaceFinding?
  // The network of a face's last pass when refining, made on first use (see `init(estimator:...)`).
  private let makeRefiner: (() -> KeypointEstimating?)?
  private let refiner = LockedValue<(plain: KeypointEstimating, mirrored: KeypointEstimating)??>(nil)
  // The refinement stage for large faces (nil: none); used by one source at a time, on the calling thread.
  private let patchRefiner: PatchRefiner?

  /// Creates a pipeline from a keypoint estimator and a face finder (nil only with `fullFrame`);
  /// `stillImageFinder`, when given, searches still images instead (time matters less there), and
  /// `refiner`, when given, is called once, on the first input that `options.refine` applies to, for the
  /// network of a face's last pass (see `FaceTracker`); `patchRefiner`, when given, is the refinement stage for
  /// large faces on the inputs `options.refinePatches` applies to.
  public init(
    estimator: KeypointEstimating, finder: FaceFinding?, stillImageFinder: FaceFinding? = nil,
    refiner: (() -> KeypointEstimating?)? = nil, patchRefiner: PatchRefiner? = nil, options: PipelineOptions
  ) {
    self.patchRefiner = patchRefiner
    if let patchRefiner, let minimum = options.patchMinimumEyeDistance { patchRefiner.minimumEyeDistance = minimum }
    self.estimator = estimator
    mirrored = FlipAveragingEstimator(estimator)
    self.finder = finder
    self.stillImageFinder = stillImageFinder
    makeRefiner = refiner
    self.options = options
  }

  /// Creates a pipeline with the network at `modelPath` (nil: the bundled model), the refinement network at
  /// `patchModelPath` (nil: the bundled one) and the Haar cascade at `detectorPath` (nil: OpenCV's frontal face
  /// cascade); `threads` bounds the network's threads (0: all).
  ///
  /// - Throws: `PipelineError` naming the model or cascade file that cannot be loaded.
  public convenience init(
    options: PipelineOptions, modelPath: String? = nil, patchModelPath: String? = nil, detectorPath: String? = nil,
    threads: Int = 0
  ) throws {
    // The cascade is parsed on another thread while the model loads: both are start-up costs of every run.
    let cascadePath = options.tracker.fullFrame ? nil : (detectorPath ?? HaarCascade.defaultPath)
    let cascade = LockedValue<Result<HaarCascade, Error>?>(nil)
    let cascadeLoaded = DispatchGroup()
    if let cascadePath {
      DispatchQueue(label: "keyface.cascade").async(group: cascadeLoaded) {
        let result = Result { try HaarCascade(contentsOf: cascadePath) }
        cascade.withLock { $0 = result }
      }
    }
    let network: Network
    do {
      network =
        try modelPath.map { try Network(contentsOf: URL(fileURLWithPath: $0)) } ?? Network.bundled(.frames)
    } catch {
      cascadeLoaded.wait()
      throw PipelineError(error, source: modelPath ?? "bundled model")
    }
    // The tracker feeds one grey crop per face and reads 15 keypoints (and maybe a score) back.
    let architecture = network.architecture
    let unusable: String? =
      architecture.patchResolution != nil
      ? "is a refinement network; give it with --patch-model"
      : architecture.inputChannels != 1
        ? "reads \(architecture.inputChannels) channels; keyface feeds grey crops (1 channel)"
        : architecture.keypointCount != Keypoints.count
          ? "predicts \(architecture.outputCount) numbers; keyface needs \(2 * Keypoints.count) (15 keypoints) or 31 (and a face score)"
          : nil
    if let unusable {
      cascadeLoaded.wait()
      let file = modelPath ?? "bundled model"
      throw PipelineError(ModelFileError(file: file, problem: unusable), source: file)
    }
    var patchRefiner: PatchRefiner?
    if options.refinePatches != .off {
      do {
        let patches =
          try patchModelPath.map { try Network(contentsOf: URL(fileURLWithPath: $0)) } ?? Network.bundled(.patches)
        patchRefiner = try PatchRefiner(network: patches)
      } catch let error as ArchitectureError {
        cascadeLoaded.wait()
        let file = patchModelPath ?? "bundled refinement model"
        throw PipelineError(ModelFileError(file: file, problem: error.description), source: file)
      } catch {
        cascadeLoaded.wait()
        throw PipelineError(error, source: patchModelPath ?? "bundled refinement model")
      }
    }
    Network.setThreads(max(0, threads))
    let predictor = KeypointPredictor(network: network, maxBatch: 8)
    // Refining (photos by default): the last pass averages this network with the bundled crop models (trained
    // on crops framed exactly as Kaggle's, as a re-framed crop is): on the validation people's photos failures
    // 5.2% -> 4.5% before the close-up search (frame model alone against it with one crop model). Loaded on
    // first use only.
    let refiner: (() -> KeypointEstimating?)? =
      modelPath != nil
      ? nil
      : {
        let crops = BundledModel.cropEnsemble.compactMap { try? Network.bundled($0) }
        return AveragingEstimator([predictor] + crops.map { KeypointPredictor(network: $0, maxBatch: 8) })
      }
    cascadeLoaded.wait()
    var finder: FaceFinding?
    var stillImageFinder: FaceFinding?
    if let cascadePath, let loaded = cascade.current {
      do {
        let haar = try loaded.get()
        finder = SizeAdaptiveFinder(cascade: haar)
        // Still images, where time matters less: OpenCV's exact window steps at every size, faces down to the
        // cascade's own window (24 px), two more passes for heads tilted by about 20 degrees, and with the
        // default cascade its alternative and profile companions. On faces68's validation people: recall
        // 0.914 -> 0.981 against the video settings, at about 0.5 s for a 640x480 photo. Photos over 1280 px are
        // searched at 1280 px.
        let frontal = FaceDetector(cascade: haar, minFaceSize: haar.windowSize.width, rotations: [-20, 20])
        let thorough: FaceFinding =
          detectorPath == nil
          ? SupplementedFinder(
            main: frontal, supplements: SupplementedFinder.photoSupplements(besideFrontal: cascadePath))
          : frontal
        stillImageFinder = DownscalingFinder(CloseUpFinder(thorough, cascade: haar))
      } catch {
        throw PipelineError(error, source: cascadePath)
      }
    }
    self.init(
      estimator: predictor, finder: finder, stillImageFinder: stillImageFinder,
      refiner: refiner, patchRefiner: patchRefiner, options: options)
  }

  /// Processes `inputs` one after another into `sink`, then finishes it (or aborts it when nothing was
  /// written and some input failed). An input that fails is reported to `onError` and the others go on.
  ///
  /// - Returns: one summary per input processed (inputs after a cancellation are skipped).
  @discardableResult
  public func run(
    inputs: [String], sink: FrameSink, cancel: CancellationFlag = CancellationFlag(),
    onError: (PipelineError) -> Void = { _ in }
  ) -> [SourceSummary] {
    var summaries: [SourceSummary] = []
    for input in inputs {
      if cancel.isCancelled { break }
      let summary = run(source: input, sink: sink, cancel: cancel)
      if let error = summary.error { onError(error) }
      summaries.append(summary)
    }
    let written = summaries.reduce(0) { $0 + $1.frames }
    if written == 0 && summaries.contains(where: { $0.outcome == .failed }) {
      sink.abort()
    } else {
      do { try sink.finish() } catch { onError(PipelineError(error, source: inputs.first ?? "-")) }
    }
    return summaries
  }

  /// The refiner and its flip-averaging wrapper, made on first use; nil without one.
  private func refiners() -> (plain: KeypointEstimating, mirrored: KeypointEstimating)? {
    refiner.withLock { cached in
      if let made = cached { return made }
      let made = makeRefiner?().map { (plain: $0, mirrored: FlipAveragingEstimator($0) as KeypointEstimating) }
      cached = .some(made)
      return made
    }
  }

  /// Processes one input into `sink` without finishing the sink (so several inputs can share it).
  ///
  /// Errors do not throw: they end the source with `.failed` and come back in the summary.
  public func run(source: String, sink: FrameSink, cancel: CancellationFlag = CancellationFlag()) -> SourceSummary {
    let start = DispatchTime.now().uptimeNanoseconds
    var summary = SourceSummary(source: source, frames: 0, faces: 0, seconds: 0, outcome: .completed, error: nil)
    defer { summary.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
    let reader: VideoReader
    do {
      reader = try VideoReader(path: source, threads: options.decodeThreads, wantColor: sink.wantsColor)
    } catch {
      summary.outcome = .failed
      summary.error = PipelineError(error, source: source)
      return summary
    }
    reader.onWarning = onWarning
    let info = SourceInfo(
      name: source, width: reader.width, height: reader.height, frameRate: reader.frameRate,
      duration: reader.duration, isStillImage: reader.isStillImage)
    var trackerOptions = options.tracker
    trackerOptions.detectEvery = options.detectEvery ?? max(1, Int((reader.frameRate ?? 30).rounded()))
    func applies(_ when: WhenToApply) -> Bool { when == .on || (when == .stillImages && reader.isStillImage) }
    let flip = applies(options.flipAverage)
    patchRefiner?.flipAverage = flip
    let refiner = applies(options.refine) ? refiners() : nil
    // Refined video: every tracked face gets a second pass, on a crop re-framed from the first pass's keypoints.
    if refiner != nil && !reader.isStillImage {
      trackerOptions.trackingPasses = max(2, trackerOptions.trackingPasses)
    }
    let tracker = FaceTracker(
      estimator: flip ? mirrored : estimator, refiner: refiner.map { flip ? $0.mirrored : $0.plain },
      patchRefiner: applies(options.refinePatches) ? patchRefiner : nil,
      finder: reader.isStillImage ? stillImageFinder ?? finder : finder, options: trackerOptions)
    do {
      try sink.begin(info)
    } catch {
      summary.outcome = .failed
      summary.error = PipelineError(error, source: source)
      return summary
    }
    let stats = stream(reader: reader, tracker: tracker, info: info, sink: sink, cancel: cancel)
    summary.frames = stats.frames
    summary.faces = stats.faces
    if let error = stats.error {
      summary.outcome = .failed
      summary.error = PipelineError(error, source: source)
    } else if stats.cancelled {
      summary.outcome = .cancelled
    }
    do {
      try sink.end(info, outcome: summary.outcome)
    } catch {
      if summary.error == nil {
        summary.outcome = .failed
        summary.error = PipelineError(error, source: source)
      }
    }
    return summary
  }

  private struct StreamStats {
    var frames = 0
    var faces = 0
    var error: Error?
    var cancelled = false
  }

  /// Runs the three stages over one reader until the end of the input, an error or cancellation.
  private func stream(
    reader: VideoReader, tracker: FaceTracker, info: SourceInfo, sink: FrameSink, cancel: CancellationFlag
  ) -> StreamStats {
    let decoded = BoundedQueue<DecodedFrame>(capacity: options.queueCapacity)
    let processed = BoundedQueue<(FrameResult, DecodedFrame)>(capacity: options.queueCapacity)
    let decodeError = LockedValue<Error?>(nil)
    let output = LockedValue(StreamStats())
    let stoppedEarly = LockedValue(false)
    let group = DispatchGroup()
    let onFrame = self.onFrame

    // Each long-running stage gets its own queue: private queues are overcommitting, so a stage blocked on a full
    // or empty queue never holds one of the global pool's few threads (one per core) that other work waits for.
    // Stage 1: demux and decode.
    DispatchQueue(label: "keyface.decode", qos: .userInitiated).async(group: group) {
      do {
        while !cancel.isCancelled, let frame = try reader.nextFrame() {
          if !decoded.push(frame) { break }
        }
        if cancel.isCancelled { stoppedEarly.withLock { $0 = true } }
      } catch {
        decodeError.withLock { $0 = error }
      }
      decoded.close()
    }

    // Stage 3: write results in order.
    DispatchQueue(label: "keyface.output", qos: .userInitiated).async(group: group) {
      while let (result, frame) = processed.pop() {
        do {
          try sink.write(result, frame: frame)
        } catch {
          output.withLock { $0.error = error }
          decoded.cancel()
          processed.cancel()
          break
        }
        output.withLock {
          $0.frames += 1
          $0.faces += result.faces.count
        }
        onFrame?(info, result)
      }
    }

    // Stage 2: track, crop and infer, here.
    while let frame = decoded.pop() {
      let faces = tracker.process(frame.gray, time: frame.time)
      let result = FrameResult(
        source: info.name, frame: frame.index, time: frame.time, width: frame.gray.width,
        height: frame.gray.height, faces: faces)
      if !processed.push((result, frame)) { break }
    }
    processed.close()
    tracker.finish()
    group.wait()

    var stats = output.current
    if stats.error == nil, let error = decodeError.current { stats.error = error }
    stats.cancelled = stoppedEarly.current || cancel.isCancelled
    return stats
  }
}

import ArgumentParser
import Dispatch
import Foundation
import KeyfaceBatch
import KeyfaceFaces
import KeyfaceNN

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `keyface run`: the keypoints of every face in every frame, as JSON Lines, CSV or an annotated video.
struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Stream the 15 keypoints of every face in every frame of videos or images.",
    discussion: """
      Writes one JSON line per decoded frame to standard output unless --jsonl, --csv or --video says otherwise.
      Exit status: 0 when every input was processed, 1 when one failed (the others are still processed), 130
      when interrupted by Ctrl-C (143 by SIGTERM); outputs keep the frames done so far.
      """
  )

  @Argument(help: ArgumentHelp("Videos, images or URLs to read; - reads standard input.", valueName: "input"))
  var inputs: [String]

  @Option(help: ArgumentHelp("Write JSON Lines to this file; - is standard output (the default).", valueName: "file"))
  var jsonl: String?

  @Option(help: ArgumentHelp("Write one CSV row per face per frame to this file; - is standard output.", valueName: "file"))
  var csv: String?

  @Option(help: ArgumentHelp("Write the input with its keypoints drawn in (.mp4, .mov, .mkv; .png or .jpg for an image input).", valueName: "out"))
  var video: String?

  @Option(help: "Keep at most this many faces per frame, the largest.")
  var maxFaces: Int?

  @Option(help: "Run the face detector every this many frames (default: about one second of video).")
  var detectEvery: Int?

  @Flag(help: "Report each frame's keypoints as predicted, without smoothing over time.")
  var noSmooth = false

  @Flag(help: "Skip face detection: the whole frame, scaled to the network's input, is the face.")
  var fullFrame = false

  @Option(help: ArgumentHelp("Extras to draw into --video, comma-separated: box, id (id and score), labels (keypoint names).", valueName: "list"), transform: { try Run.parseDrawList($0) })
  var draw: [DrawElement] = []

  @Option(help: "Quality of --video as x264's constant rate factor, 0 (lossless) to 51 (default 23, as x264 and ffmpeg).")
  var crf: Int?

  @Option(help: "x264 speed preset of --video, e.g. ultrafast, veryfast, medium (default veryfast).")
  var preset: String?

  @Option(
    help: ArgumentHelp(
      "Predict each face as seen and mirrored and average: images (still images only, the default), on, off."
        + " About 4% more accurate for twice the network work.", valueName: "when"))
  var flipAverage: WhenToApply = .stillImages

  @Option(
    help: ArgumentHelp(
      "Give each face a last pass on a crop re-framed from its keypoints, averaging the frame model with the"
        + " bundled crop models: images (still images only, the default), on (every frame of video too: about 9%"
        + " lower error and 30% less jitter on moving faces, for about 7 times the network work), off."
        + " Needs the bundled models (no --model).", valueName: "when"))
  var refine: WhenToApply = .stillImages

  @Option(
    help: ArgumentHelp(
      "Read faces whose outer eye corners are at least --patch-min-eye pixels apart again at up to their own"
        + " resolution (the 96-px crop holds them 51 px apart): patches around each keypoint at 2.5x and 1.25x the"
        + " crop's resolution, one network call per face: on (the default), images (still images only), off. On"
        + " the validation people: photos of faces over 120 px median error 0.038 -> 0.031, moving faces error 17%"
        + " and jitter 40% lower; it costs about 2.3 ms per large face per frame (720p video with one large face:"
        + " 293 -> 177 frames per second).", valueName: "when"))
  var refinePatches: WhenToApply = .on

  @Option(help: ArgumentHelp("Smallest face, as the distance between its outer eye corners in pixels, that --refine-patches reads (default: \(Int(PatchRefiner.defaultMinimumEyeDistance))).", valueName: "pixels"))
  var patchMinEye: Float?

  @Option(name: .customLong("patch-model"), help: ArgumentHelp("Refinement model file (.safetensors, trained with --arch keyface-patches) to use instead of the bundled one.", valueName: "path"))
  var patchModelPath: String?

  @OptionGroup var model: ModelOptions

  static func parseDrawList(_ text: String) throws -> [DrawElement] {
    try text.split(separator: ",").map { part in
      let name = part.trimmingCharacters(in: .whitespaces)
      guard let element = DrawElement(rawValue: name) else {
        let valid = DrawElement.allCases.map(\.rawValue).joined(separator: ", ")
        throw ValidationError("unknown --draw element '\(name)' (use \(valid))")
      }
      return element
    }
  }

  func validate() throws {
    guard !inputs.isEmpty else { throw ValidationError("Name at least one input (a file, a URL or - for standard input).") }
    if video != nil && inputs.count > 1 {
      throw ValidationError("--video writes one annotated file: give exactly one input.")
    }
    if inputs.filter({ $0 == "-" }).count > 1 { throw ValidationError("Standard input (-) can be read only once.") }
    if let maxFaces, maxFaces < 1 { throw ValidationError("--max-faces must be 1 or more.") }
    if refine == .on && model.modelPath != nil {
      throw ValidationError("--refine on averages the bundled models; it cannot be combined with --model.")
    }
    if let patchMinEye, !(patchMinEye >= 0 && patchMinEye < 100_000) {
      throw ValidationError("--patch-min-eye must be 0 or more pixels.")
    }
    if refinePatches == .off && (patchMinEye != nil || patchModelPath != nil) {
      throw ValidationError("--patch-min-eye and --patch-model apply to --refine-patches: it is off.")
    }
    if let detectEvery, detectEvery < 1 { throw ValidationError("--detect-every must be 1 or more.") }
    if let crf, !(0...51).contains(crf) { throw ValidationError("--crf must be between 0 and 51.") }
    if video == nil && (!draw.isEmpty || crf != nil || preset != nil) {
      throw ValidationError("--draw, --crf and --preset apply to --video: name a video output.")
    }
    if fullFrame && model.detectorPath != nil { throw ValidationError("--detector has no use with --full-frame.") }
    let files = [jsonl, csv, video].compactMap { $0 }.filter { $0 != "-" }
    if Set(files).count < files.count { throw ValidationError("--jsonl, --csv and --video must name different files.") }
    if jsonl == "-" && csv == "-" { throw ValidationError("--jsonl and --csv cannot both write to standard output.") }
    if video == "-" { throw ValidationError("--video needs a file name, not standard output.") }
    if let video, let input = inputs.first, input != "-",
      URL(fileURLWithPath: video).standardized.path == URL(fileURLWithPath: input).standardized.path
    {
      throw ValidationError("--video must not overwrite its input.")
    }
  }

  func run() throws {
    var tracker = TrackerOptions()
    tracker.maxFaces = maxFaces
    tracker.smoothing = !noSmooth
    tracker.fullFrame = fullFrame
    let options = PipelineOptions(
      tracker: tracker, detectEvery: detectEvery, decodeThreads: model.threads, flipAverage: flipAverage,
      refine: refine, refinePatches: refinePatches, patchMinimumEyeDistance: patchMinEye)
    let pipeline: KeypointPipeline
    do {
      pipeline = try KeypointPipeline(
        options: options, modelPath: model.modelPath, patchModelPath: patchModelPath,
        detectorPath: model.detectorPath, threads: model.threads)
    } catch {
      Run.report(error)
      throw ExitCode.failure
    }

    // Outputs: JSON Lines to standard output unless some output was named.
    var sinks: [FrameSink] = []
    let jsonlPath = jsonl ?? (csv == nil && video == nil ? "-" : nil)
    do {
      if let jsonlPath { sinks.append(try JSONLinesWriter(path: jsonlPath)) }
      if let csv { sinks.append(try CSVWriter(path: csv)) }
    } catch {
      for sink in sinks { sink.abort() }
      Run.report(error)
      throw ExitCode.failure
    }
    if let video {
      sinks.append(
        AnnotatedVideoSink(
          path: video,
          options: VideoOutputOptions(
            crf: crf ?? 23, preset: preset ?? "veryfast", threads: model.threads, draw: Set(draw))))
    }
    let sink = SinkGroup(sinks)

    pipeline.onWarning = { Run.printError("keyface: \($0)") }
    let toTerminal = isatty(STDOUT_FILENO) != 0 && (jsonlPath == "-" || csv == "-")
    var progressShown: FrameProgress?
    if isatty(STDERR_FILENO) != 0 && !toTerminal {
      let progress = FrameProgress()
      progressShown = progress
      pipeline.onFrame = { info, result in progress.update(info, result) }
    }

    // Ctrl-C (or SIGTERM): stop decoding, finish the outputs with the frames done so far, exit 130 (143).
    // A second signal quits at once. The same trap as `keyface batch` (a self-pipe written by the handler): Dispatch
    // signal sources read a signalfd on Linux and miss signals that land on a thread that has them unblocked.
    let cancel = CancellationFlag()
    let stop = StopSignal()
    let trap = InterruptTrap(stop: stop) { number, level in
      if level == .kill { _exit(number == SIGTERM ? 143 : 130) }
      cancel.cancel()
    }
    defer { trap.cancel() }

    var failed = false
    let summaries = pipeline.run(inputs: inputs, sink: sink, cancel: cancel) { error in
      failed = true
      Run.report(error)
    }
    progressShown?.clear()
    if cancel.isCancelled { throw ExitCode(stop.signal == SIGTERM ? 143 : 130) }
    if failed || summaries.contains(where: { $0.outcome == .failed }) { throw ExitCode.failure }
  }

  /// Prints "keyface: <file>: <problem>" on standard error.
  static func report(_ error: Error) {
    printError("keyface: \(error)")
  }

  static func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
  }
}

extension WhenToApply: ExpressibleByArgument {}

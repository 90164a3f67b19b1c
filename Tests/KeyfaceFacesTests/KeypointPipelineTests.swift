import Foundation
import KeyfaceMedia
import XCTest

@testable import KeyfaceDetection
@testable import KeyfaceFaces

/// Runs the whole pipeline on clips encoded in the test with the ffmpeg command-line tool.
final class KeypointPipelineTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyface-pipe-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: directory)
  }

  /// Encodes `frames` frames of FFmpeg's test pattern at `rate` fps into `name`.
  func makeClip(_ name: String, frames: Int, rate: Int = 25, size: String = "160x120") throws -> String {
    let path = directory.appendingPathComponent(name).path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=\(size):rate=\(rate)", "-frames:v",
      "\(frames)", "-pix_fmt", "yuv420p", path,
    ]
    try process.run()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0, "ffmpeg failed")
    return path
  }

  func pipeline(fullFrame: Bool = false, finder: FaceFinding? = CountingFinder()) -> KeypointPipeline {
    var tracker = TrackerOptions()
    tracker.fullFrame = fullFrame
    return KeypointPipeline(
      estimator: DiscEstimator(), finder: fullFrame ? nil : finder,
      options: PipelineOptions(tracker: tracker, queueCapacity: 2))
  }

  func testOneResultPerFrameInOrder() throws {
    let clip = try makeClip("a.mp4", frames: 40)
    let sink = CollectingSink()
    let summaries = pipeline().run(inputs: [clip], sink: sink)
    XCTAssertEqual(summaries.count, 1)
    XCTAssertEqual(summaries[0].outcome, .completed)
    XCTAssertEqual(summaries[0].frames, 40)
    XCTAssertEqual(sink.results.map(\.frame), Array(0..<40))
    for (i, r) in sink.results.enumerated() {
      XCTAssertEqual(r.time, Double(i) / 25, accuracy: 1e-6)
      XCTAssertEqual(r.width, 160)
      XCTAssertEqual(r.height, 120)
      XCTAssertEqual(r.source, clip)
    }
  }

  func testFullFrameGivesOneFacePerFrame() throws {
    let clip = try makeClip("b.mp4", frames: 10)
    let sink = CollectingSink()
    pipeline(fullFrame: true).run(inputs: [clip], sink: sink)
    XCTAssertEqual(sink.results.count, 10)
    XCTAssertTrue(sink.results.allSatisfy { $0.faces.count == 1 && $0.faces[0].id == 0 })
  }

  func testSeveralInputsOneStreamAndFailuresReported() throws {
    let a = try makeClip("a.mp4", frames: 5)
    let b = try makeClip("b.mkv", frames: 7)
    let missing = directory.appendingPathComponent("missing.mp4").path
    let sink = CollectingSink()
    var errors: [PipelineError] = []
    let summaries = pipeline().run(inputs: [a, missing, b], sink: sink) { errors.append($0) }
    XCTAssertEqual(summaries.map(\.outcome), [.completed, .failed, .completed])
    XCTAssertEqual(sink.results.map(\.source), Array(repeating: a, count: 5) + Array(repeating: b, count: 7))
    XCTAssertEqual(sink.results.map(\.frame), Array(0..<5) + Array(0..<7))
    XCTAssertEqual(errors.count, 1)
    XCTAssertEqual(errors.first?.path, missing)
    XCTAssertFalse(errors.first!.description.contains("\n"))
  }

  func testCancellationStopsEarlyAndEndsSourceAsCancelled() throws {
    let clip = try makeClip("long.mp4", frames: 200)
    let cancel = CancellationFlag()
    let sink = RecordingSink()
    let p = pipeline()
    p.onFrame = { _, result in if result.frame == 10 { cancel.cancel() } }
    let summaries = p.run(inputs: [clip], sink: sink, cancel: cancel)
    XCTAssertEqual(summaries.first?.outcome, .cancelled)
    XCTAssertEqual(sink.outcomes, [.cancelled])
    XCTAssertTrue(sink.finished)
    // Stopped well before the end; whatever was written is in order.
    XCTAssertLessThan(sink.frames.count, 200)
    XCTAssertEqual(sink.frames, Array(0..<sink.frames.count))
  }

  func testSinkFailureStopsTheSourceAndIsReported() throws {
    let clip = try makeClip("c.mp4", frames: 50)
    let sink = RecordingSink()
    sink.failAt = 5
    var errors: [PipelineError] = []
    let summaries = pipeline().run(inputs: [clip], sink: sink) { errors.append($0) }
    XCTAssertEqual(summaries.first?.outcome, .failed)
    XCTAssertEqual(sink.outcomes, [.failed])
    XCTAssertEqual(sink.frames, Array(0..<5))
    XCTAssertEqual(errors.map(\.message), ["disk full"])
  }

  /// A disc moving right across 30 frames, encoded losslessly; returns the clip and the disc of each frame.
  func makeDiscClip() throws -> (path: String, truths: [SyntheticFace]) {
    let path = directory.appendingPathComponent("disc.mkv").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gray", "-s", "320x240", "-r", "25", "-i", "-",
      "-c:v", "ffv1", path,
    ]
    let pipe = Pipe()
    process.standardInput = pipe
    try process.run()
    var truths: [SyntheticFace] = []
    for t in 0..<30 {
      let face = SyntheticFace(center: SIMD2(100 + 3 * Float(t), 110), radius: 35)
      truths.append(face)
      pipe.fileHandleForWriting.write(Data(SyntheticFace.render([face], width: 320, height: 240).pixels))
    }
    try pipe.fileHandleForWriting.close()
    process.waitUntilExit()
    return (path, truths)
  }

  /// `refine: .on` gives every tracked frame of a video a pass by the refiner; the default keeps video to the
  /// frame network and never makes the refiner.
  func testRefineOnVideoUsesTheRefinerEveryFrame() throws {
    let (path, truths) = try makeDiscClip()
    for when in [WhenToApply.stillImages, .on] {
      let finder = CountingFinder()
      finder.locate = true
      let refiner = DiscEstimator()
      var made = 0
      let sink = CollectingSink()
      KeypointPipeline(
        estimator: DiscEstimator(), finder: finder, refiner: { made += 1; return refiner },
        options: PipelineOptions(tracker: TrackerOptions(smoothing: false), refine: when)
      ).run(inputs: [path, path], sink: sink)
      XCTAssertEqual(sink.results.count, 60)
      XCTAssertEqual(made, when == .on ? 1 : 0, "made once, on first use")
      // Refined: one detection pass and 29 tracked frames per clip.
      XCTAssertEqual(refiner.crops, when == .on ? 2 * 30 : 0)
      for (r, truth) in zip(sink.results, truths + truths) {
        XCTAssertEqual(r.faces.count, 1)
        let error = zip(r.faces[0].keypoints, truth.keypoints).map { (($0 - $1) * ($0 - $1)).sum().squareRoot() }
        XCTAssertLessThan(error.max()!, 1.0)
      }
    }
  }

  func testFaceOnSyntheticClipIsTrackedThroughThePipeline() throws {
    // A moving disc encoded to video: the pipeline (decode, track, output) follows it with one id.
    let (path, truths) = try makeDiscClip()
    let finder = CountingFinder()
    finder.locate = true
    let sink = CollectingSink()
    var tracker = TrackerOptions(smoothing: false)
    tracker.detectionPasses = 2
    KeypointPipeline(estimator: DiscEstimator(), finder: finder, options: PipelineOptions(tracker: tracker))
      .run(inputs: [path], sink: sink)
    XCTAssertEqual(sink.results.count, 30)
    for (r, truth) in zip(sink.results, truths) {
      XCTAssertEqual(r.faces.map(\.id), [0])
      let error = zip(r.faces[0].keypoints, truth.keypoints).map { (($0 - $1) * ($0 - $1)).sum().squareRoot() }.max()!
      XCTAssertLessThan(error, 1.0)
    }
    // Default detect-every is the frame rate (25): frames 0 and 25.
    XCTAssertEqual(finder.calls, 2)
  }
}

/// Records frames and outcomes; can be told to fail.
final class RecordingSink: FrameSink {
  var frames: [Int] = []
  var outcomes: [SourceOutcome] = []
  var finished = false
  var failAt: Int?

  func write(_ result: FrameResult, frame: DecodedFrame) throws {
    if result.frame == failAt { throw PipelineError(path: "out", message: "disk full") }
    frames.append(result.frame)
  }

  func end(_ source: SourceInfo, outcome: SourceOutcome) throws { outcomes.append(outcome) }
  func finish() throws { finished = true }
}

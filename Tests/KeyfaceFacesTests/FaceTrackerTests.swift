import KeyfaceMedia
import KeyfaceNN
import XCTest

@testable import KeyfaceDetection
@testable import KeyfaceFaces

final class FaceTrackerTests: XCTestCase {
  /// The disc drifts and zooms smoothly across 40 frames.
  func movingFace(_ t: Int) -> SyntheticFace {
    SyntheticFace(
      center: SIMD2(110 + 2.5 * Float(t), 95 + 1.2 * Float(t)),
      radius: 30 + 8 * sinf(Float(t) / 9))
  }

  func maxError(_ a: [SIMD2<Float>], _ b: [SIMD2<Float>]) -> Float {
    zip(a, b).map { (($0 - $1) * ($0 - $1)).sum().squareRoot() }.max() ?? .infinity
  }

  func testTracksMovingFaceWithStableIDAndNoDetectorBetweenRuns() {
    let estimator = DiscEstimator()
    let finder = CountingFinder()
    var options = TrackerOptions(detectEvery: 10, smoothing: false, backgroundDetection: false)
    options.detectionPasses = 2
    let tracker = FaceTracker(estimator: estimator, finder: finder, options: options)
    for t in 0..<40 {
      let face = movingFace(t)
      finder.faces = [face]
      let image = SyntheticFace.render([face], width: 320, height: 240)
      let results = tracker.process(image, time: Double(t) / 30)
      XCTAssertEqual(results.count, 1, "frame \(t)")
      XCTAssertEqual(results.first?.id, 0, "frame \(t)")
      XCTAssertLessThan(maxError(results[0].keypoints, face.keypoints), 1.0, "frame \(t)")
      // The box holds the face.
      let box = results[0].box
      XCTAssertTrue(box.x < face.center.x && face.center.x < box.x + box.width)
    }
    // Frames 0, 10, 20 and 30 only.
    XCTAssertEqual(finder.calls, 4)
    XCTAssertEqual(tracker.detectorRuns, 4)
    // One crop per tracked frame, plus two passes per accepted detection.
    XCTAssertLessThan(estimator.crops, 40 + 2 * 4 + 1)
  }

  /// Refined tracking: every tracked frame gets a second pass, by the refiner, on a crop re-framed from the
  /// first pass's keypoints; the refiner also takes a new face's last detection pass.
  func testRefinedTrackingGivesTheLastPassToTheRefiner() {
    let estimator = DiscEstimator(), refiner = DiscEstimator()
    var options = TrackerOptions(detectEvery: 100, smoothing: false, backgroundDetection: false)
    options.detectionPasses = 2
    options.trackingPasses = 2
    let finder = CountingFinder()
    let tracker = FaceTracker(estimator: estimator, refiner: refiner, finder: finder, options: options)
    for t in 0..<20 {
      let face = movingFace(t)
      finder.faces = [face]
      let results = tracker.process(SyntheticFace.render([face], width: 320, height: 240), time: Double(t) / 30)
      XCTAssertEqual(results.count, 1, "frame \(t)")
      XCTAssertLessThan(maxError(results[0].keypoints, face.keypoints), 1.0, "frame \(t)")
    }
    // Frame 0: the detector's box (estimator), then the refiner; frames 1-19: one pass each.
    XCTAssertEqual(estimator.crops, 1 + 19)
    XCTAssertEqual(refiner.crops, 1 + 19)
  }

  /// Periodic looks beside a tracked face use the finder's quick search, in the background; the first look (no
  /// face tracked yet) uses the full one. A second face found by a quick look joins with the next id.
  func testLooksBesideTrackedFacesAreQuick() {
    let finder = CountingFinder()
    let tracker = FaceTracker(
      estimator: DiscEstimator(), finder: finder, options: TrackerOptions(detectEvery: 4, smoothing: false))
    let first = SyntheticFace(center: SIMD2(90, 100), radius: 30)
    let second = SyntheticFace(center: SIMD2(230, 120), radius: 35)
    // The stand-in finder reports both boxes all along (it runs on another thread, so it must not depend on
    // when it is called); the network finds nothing in the second box until that face appears at frame 5.
    finder.faces = [first, second]
    var counts: [Int] = []
    for t in 0..<14 {
      let faces = t < 5 ? [first] : [first, second]
      counts.append(tracker.process(SyntheticFace.render(faces, width: 320, height: 240), time: Double(t) / 25).count)
    }
    tracker.finish()
    XCTAssertEqual(finder.calls, 4, "frames 0, 4, 8 and 12")
    XCTAssertEqual(finder.quickCalls, 3, "all but the first")
    // The look at frame 4 is used two frames later (half the interval), on frame 6, where the face now is.
    XCTAssertEqual(counts, [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2])
  }

  func testSceneCutDropsTrackAndNewFaceGetsNewID() {
    let finder = CountingFinder()
    let tracker = FaceTracker(
      estimator: DiscEstimator(), finder: finder, options: TrackerOptions(detectEvery: 3, smoothing: false, backgroundDetection: false))
    let first = SyntheticFace(center: SIMD2(100, 100), radius: 30)
    let second = SyntheticFace(center: SIMD2(220, 130), radius: 40)
    var ids: [[Int]] = []
    for t in 0..<12 {
      let faces = t < 4 ? [first] : t < 7 ? [] : [second]
      finder.faces = faces
      let image = SyntheticFace.render(faces, width: 320, height: 240)
      ids.append(tracker.process(image, time: Double(t) / 25).map(\.id))
    }
    XCTAssertEqual(ids, [[0], [0], [0], [0], [], [], [], [1], [1], [1], [1], [1]])
    // Every 3 frames while a face is tracked (0, 3), frame 4 where it was lost, every frame while none is
    // (3 / 4 gives at least 1: 5, 6, 7, where the new face is found), then 10.
    XCTAssertEqual(finder.calls, 7)
  }

  func testOverlappingDetectionIsIgnoredAndMaxFacesKeepsLargest() {
    let finder = CountingFinder()
    let small = SyntheticFace(center: SIMD2(70, 80), radius: 25)
    let large = SyntheticFace(center: SIMD2(220, 120), radius: 45)
    finder.faces = [small, large, large]
    let image = SyntheticFace.render([small, large], width: 320, height: 240)
    let both = FaceTracker(estimator: DiscEstimator(), finder: finder, options: TrackerOptions(smoothing: false))
    let r = both.process(image, time: 0)
    XCTAssertEqual(r.map(\.id), [0, 1])
    // Detections of faces already tracked add nothing.
    for t in 1...3 { XCTAssertEqual(both.process(image, time: Double(t)).count, 2) }
    let one = FaceTracker(
      estimator: DiscEstimator(), finder: finder, options: TrackerOptions(maxFaces: 1, smoothing: false))
    let kept = one.process(image, time: 0)
    XCTAssertEqual(kept.count, 1)
    XCTAssertLessThan(maxError(kept[0].keypoints, large.keypoints), 1.0)
  }

  func testLowScoreDetectionsAreRejected() {
    let finder = CountingFinder()
    // The detector reports a face where the frame is empty: the network's score rejects it.
    finder.faces = [SyntheticFace(center: SIMD2(100, 100), radius: 30)]
    let tracker = FaceTracker(estimator: DiscEstimator(), finder: finder, options: TrackerOptions())
    XCTAssertEqual(tracker.process(GrayImage(width: 320, height: 240, fill: 20), time: 0).count, 0)
  }

  func testSmoothingReducesJitterAndResetsPerTrack() {
    func jitter(smoothing: Bool) -> Float {
      let finder = CountingFinder()
      let tracker = FaceTracker(
        estimator: DiscEstimator(), finder: finder, options: TrackerOptions(detectEvery: 1000, smoothing: smoothing))
      var previous: SIMD2<Float>?
      var total: Float = 0
      for t in 0..<60 {
        // A still face whose rendering shakes by up to a pixel from frame to frame.
        let shake = SIMD2<Float>(t % 2 == 0 ? 0.8 : -0.8, t % 3 == 0 ? 0.6 : -0.3)
        let face = SyntheticFace(center: SIMD2(150, 120) + shake, radius: 35)
        finder.faces = [face]
        let r = tracker.process(SyntheticFace.render([face], width: 320, height: 240), time: Double(t) / 30)
        let p = r[0].keypoints[10]
        if let previous, t > 10 { total += ((p - previous) * (p - previous)).sum().squareRoot() }
        previous = p
      }
      return total
    }
    XCTAssertLessThan(jitter(smoothing: true), 0.5 * jitter(smoothing: false))
  }

  func testFullFrameReportsOneFaceCoveringTheFrame() {
    let tracker = FaceTracker(
      estimator: DiscEstimator(), finder: nil, options: TrackerOptions(smoothing: false, fullFrame: true))
    let face = SyntheticFace(center: SIMD2(48, 50), radius: 28)
    let r = tracker.process(SyntheticFace.render([face], width: 96, height: 96), time: 0)
    XCTAssertEqual(r.count, 1)
    XCTAssertEqual(r[0].box, FaceBox(x: 0, y: 0, width: 96, height: 96, confidence: r[0].score))
    XCTAssertLessThan(maxError(r[0].keypoints, face.keypoints), 1.0)
  }

  func testBackgroundDetectionGivesTheSameResultsAtFixedFrames() {
    // Two faces: one from the start, one appearing at frame 12. With background detection the second is
    // found by the detection started at frame 20 and used at frame 20 + 10 / 2 = 25, in every run.
    func run(background: Bool) -> (ids: [[Int]], calls: Int) {
      let finder = LockedFinder()
      let tracker = FaceTracker(
        estimator: DiscEstimator(), finder: finder,
        options: TrackerOptions(detectEvery: 10, smoothing: false, backgroundDetection: background))
      var ids: [[Int]] = []
      for t in 0..<32 {
        var faces = [SyntheticFace(center: SIMD2(90 + Float(t), 100), radius: 30)]
        if t >= 12 { faces.append(SyntheticFace(center: SIMD2(240, 130), radius: 35)) }
        ids.append(tracker.process(SyntheticFace.render(faces, width: 320, height: 240), time: Double(t) / 30).map(\.id))
      }
      tracker.finish()
      return (ids, finder.calls)
    }
    let foreground = run(background: false)
    XCTAssertEqual(foreground.ids[19], [0])
    XCTAssertEqual(foreground.ids[20], [0, 1])
    for _ in 0..<3 {
      let background = run(background: true)
      XCTAssertEqual(background.ids[24], [0])
      XCTAssertEqual(background.ids[25], [0, 1])
      XCTAssertEqual(background.ids[31], [0, 1])
      XCTAssertEqual(background.calls, foreground.calls)
    }
  }
}

/// Finds the bright disc in each half of the frame (from the pixels alone, so it may run on any thread at any
/// time) and counts its calls.
final class LockedFinder: FaceFinding, @unchecked Sendable {
  private let lock = NSLock()
  private var count = 0

  var calls: Int { lock.withLock { count } }

  func detect(in image: GrayImage) -> [FaceBox] {
    lock.withLock { count += 1 }
    let half = image.width / 2
    return [0..<half, half..<image.width].compactMap { columns -> FaceBox? in
      var lo = SIMD2<Int>(Int.max, Int.max), hi = SIMD2<Int>(-1, -1)
      for y in 0..<image.height {
        for x in columns where image[x, y] > 120 {
          lo = pointwiseMin(lo, SIMD2(x, y))
          hi = pointwiseMax(hi, SIMD2(x, y))
        }
      }
      guard hi.x >= 0 else { return nil }
      return FaceBox(x: Float(lo.x), y: Float(lo.y), width: Float(hi.x - lo.x + 1), height: Float(hi.y - lo.y + 1))
    }
  }
}

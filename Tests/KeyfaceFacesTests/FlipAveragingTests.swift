import Foundation
import KeyfaceMedia
import KeyfaceNN
import XCTest

@testable import KeyfaceFaces

/// Puts every keypoint on the brightest pixel's centre, and its left/right pairs apart by a fixed offset, so a
/// wrong mirror convention or a missing pair swap shows in the averaged answer.
private final class BrightestPixelEstimator: KeypointEstimating {
  let inputSize = 96
  private(set) var crops = 0
  /// Added to every x, as a calibrated network does.
  var horizontalOffset: Float = 0

  func estimate(crops buffer: [UInt8], count: Int, points: inout [SIMD2<Float>], scores: inout [Float]) {
    let n = inputSize, k = Keypoints.count
    for c in 0..<count {
      crops += 1
      var best = 0
      for i in 0..<(n * n) where buffer[c * n * n + i] > buffer[c * n * n + best] { best = i }
      let centre = SIMD2(Float(best % n) + 0.5 + horizontalOffset, Float(best / n) + 0.5)
      for i in 0..<k { points[c * k + i] = centre }
      // The subject's left points lie to the image's right of the right ones, as in a real face.
      for (l, r) in Keypoints.flipPairs {
        points[c * k + l] = centre + SIMD2(Float(3 + l), 0)
        points[c * k + r] = centre - SIMD2(Float(3 + l), 0)
      }
      scores[c] = c % 2 == 0 ? 0.8 : 0.6
    }
  }
}

final class FlipAveragingTests: XCTestCase {
  func testMirroredAnswerMapsBackOntoThePlainOne() {
    assertMirroredAnswerMapsBack(offset: 0)
  }

  /// A calibrated estimator's offset survives: the mirror image's answer is mapped back about 96 + 2 * offset.
  /// (About 96 alone, the average would lose the offset: 0.6 px here.) An average of estimators carries the
  /// mean of their offsets.
  func testMirroredAnswerKeepsTheHorizontalOffset() {
    assertMirroredAnswerMapsBack(offset: 0.6)
    let a = BrightestPixelEstimator(), b = BrightestPixelEstimator()
    a.horizontalOffset = 0.2
    b.horizontalOffset = 0.6
    XCTAssertEqual(AveragingEstimator([a, b]).horizontalOffset, 0.4, accuracy: 1e-6)
    XCTAssertEqual(FlipAveragingEstimator(AveragingEstimator([a, b])).horizontalOffset, 0.4, accuracy: 1e-6)
  }

  private func assertMirroredAnswerMapsBack(offset: Float, line: UInt = #line) {
    let base = BrightestPixelEstimator()
    base.horizontalOffset = offset
    let flip = FlipAveragingEstimator(base)
    var crops = [UInt8](repeating: 10, count: 2 * 96 * 96)
    crops[17 * 96 + 30] = 250  // crop 0: (30, 17)
    crops[96 * 96 + 70 * 96 + 81] = 250  // crop 1: (81, 70)
    var plain = [SIMD2<Float>](repeating: .zero, count: 30)
    var averaged = plain
    var plainScores = [Float](repeating: 0, count: 2)
    var scores = plainScores
    base.estimate(crops: crops, count: 2, points: &plain, scores: &plainScores)
    flip.estimate(crops: crops, count: 2, points: &averaged, scores: &scores)
    XCTAssertEqual(base.crops, 2 + 4, "one batch of the crops and their mirror images", line: line)
    for i in 0..<30 {
      XCTAssertEqual(averaged[i].x, plain[i].x, accuracy: 1e-5, "point \(i)", line: line)
      XCTAssertEqual(averaged[i].y, plain[i].y, accuracy: 1e-5, "point \(i)", line: line)
    }
    // Scores are averaged over each crop and its mirror image (batch positions 0/2 and 1/3).
    XCTAssertEqual(scores[0], 0.8, accuracy: 1e-6, line: line)
    XCTAssertEqual(scores[1], 0.6, accuracy: 1e-6, line: line)
  }

  func testStillImagesGetTheStillImageFinderAndFlipAveraging() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyface-flip-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let face = SyntheticFace(center: SIMD2(80, 60), radius: 30)
    let image = SyntheticFace.render([face], width: 160, height: 120)
    let still = directory.appendingPathComponent("face.png").path
    try ImageFile.write(AnnotatedVideoSink.colorless(image), to: still)
    let estimator = DiscEstimator()
    let videoFinder = CountingFinder()
    let stillFinder = CountingFinder()
    stillFinder.faces = [face]
    let pipeline = KeypointPipeline(
      estimator: estimator, finder: videoFinder, stillImageFinder: stillFinder, options: PipelineOptions())
    let sink = CollectingSink()
    pipeline.run(inputs: [still], sink: sink)
    XCTAssertEqual(videoFinder.calls, 0)
    XCTAssertEqual(stillFinder.calls, 1)
    XCTAssertEqual(sink.results.first?.faces.count, 1)
    // Three detection passes (the default), each on the crop and its mirror image.
    XCTAssertEqual(estimator.crops, 6)
    // The stand-in places Kaggle's mean layout, which is not quite mirror-symmetric: averaging with its mirror
    // image moves points by up to about 2 px at this size, and no more.
    let found = try XCTUnwrap(sink.results.first?.faces.first)
    for (p, q) in zip(found.keypoints, face.keypoints) {
      XCTAssertEqual(p.x, q.x, accuracy: 2.5)
      XCTAssertEqual(p.y, q.y, accuracy: 2.5)
    }
  }
}

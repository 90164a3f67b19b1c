import Foundation
import KeyfaceMedia
import KeyfaceNN
import XCTest

@testable import KeyfaceDetection
@testable import KeyfaceFaces

/// What photos get beyond video: the close-up search, no face inside a face, and the averaged last pass.
final class PhotoSearchTests: XCTestCase {
  /// The astronaut's face (72 px at (132, 49) in the sample) cut tighter than the face and enlarged 5x, so it
  /// fills the picture and runs off every side.
  func closeUp() throws -> (image: GrayImage, faceCenter: SIMD2<Float>) {
    let path = FaceDetectorTests.samples.appendingPathComponent("astronaut.jpg").path
    guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) is missing") }
    let sample = try ImageFile.readGray(path: path)
    let (x0, y0, w, h, zoom) = (144, 55, 48, 60, 5)
    var image = GrayImage(width: w * zoom, height: h * zoom, fill: 0)
    for y in 0..<image.height {
      for x in 0..<image.width {
        // Bilinear enlargement, pixel centres aligned.
        let sx = (Float(x) + 0.5) / Float(zoom) - 0.5 + Float(x0), sy = (Float(y) + 0.5) / Float(zoom) - 0.5 + Float(y0)
        let ix = Int(sx.rounded(.down)), iy = Int(sy.rounded(.down))
        let fx = sx - Float(ix), fy = sy - Float(iy)
        let a = Float(sample[ix, iy]), b = Float(sample[ix + 1, iy])
        let c = Float(sample[ix, iy + 1]), d = Float(sample[ix + 1, iy + 1])
        let v = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
        image[x, y] = UInt8(min(max(v.rounded(), 0), 255))
      }
    }
    return (image, SIMD2(Float(132 + 36 - x0), Float(49 + 36 - y0)) * Float(zoom))
  }

  func testCloseUpFillingThePhotoIsFound() throws {
    guard FileManager.default.fileExists(atPath: HaarCascade.defaultPath) else {
      throw XCTSkip("\(HaarCascade.defaultPath) is missing: install Debian's opencv-data package")
    }
    let cascade = try HaarCascade(contentsOf: HaarCascade.defaultPath)
    let (image, center) = try closeUp()
    let base = FaceDetector(cascade: cascade, minFaceSize: 24)
    XCTAssertFalse(
      base.detect(in: image).contains { $0.width > Float(image.width) / 2 },
      "the plain search should not find a face larger than the picture")
    let faces = CloseUpFinder(base, cascade: cascade).detect(in: image)
    let face = try XCTUnwrap(faces.max { $0.area < $1.area }, "\(faces)")
    XCTAssertGreaterThan(face.width, Float(image.width), "\(face)")
    let offset = face.center - center
    XCTAssertLessThan((offset * offset).sum().squareRoot(), face.width / 6, "\(face) vs centre \(center)")
  }

  func testSmallFaceInsideALargerOneIsDropped() {
    let big = FaceBox(x: 40, y: 30, width: 160, height: 160)
    let small = FaceBox(x: 90, y: 70, width: 40, height: 40)
    let finder = BoxFinder(boxes: [small, big])
    let tracker = FaceTracker(
      estimator: LayoutEstimator(), finder: finder, options: TrackerOptions(smoothing: false))
    let faces = tracker.process(GrayImage(width: 320, height: 240, fill: 128), time: 0)
    XCTAssertEqual(faces.count, 1, "\(faces.map(\.box))")
    XCTAssertGreaterThan(faces.first?.box.width ?? 0, 100)
    // A large box around a face that scores clearly lower than the face inside it is the one that goes.
    let scripted = FaceTracker(
      estimator: LayoutEstimator(scores: [0.95, 0.7]), finder: BoxFinder(boxes: [small, big]),
      options: TrackerOptions(smoothing: false))
    let inner = scripted.process(GrayImage(width: 320, height: 240, fill: 128), time: 0)
    XCTAssertEqual(inner.count, 1)
    XCTAssertLessThan(inner.first?.box.width ?? .infinity, 100)
    // Side by side, both stay.
    finder.boxes = [FaceBox(x: 10, y: 40, width: 60, height: 60), FaceBox(x: 150, y: 40, width: 140, height: 140)]
    let apart = FaceTracker(estimator: LayoutEstimator(), finder: finder, options: TrackerOptions(smoothing: false))
    XCTAssertEqual(apart.process(GrayImage(width: 320, height: 240, fill: 128), time: 0).count, 2)
  }

  func testRefinerMakesOnlyTheLastDetectionPass() {
    let estimator = DiscEstimator()
    let refiner = DiscEstimator()
    let finder = CountingFinder()
    let face = SyntheticFace(center: SIMD2(120, 100), radius: 35)
    finder.faces = [face]
    var options = TrackerOptions(smoothing: false, backgroundDetection: false)
    options.detectionPasses = 3
    let tracker = FaceTracker(estimator: estimator, refiner: refiner, finder: finder, options: options)
    let image = SyntheticFace.render([face], width: 320, height: 240)
    let first = tracker.process(image, time: 0)
    XCTAssertEqual(first.count, 1)
    XCTAssertEqual(estimator.crops, 2)
    XCTAssertEqual(refiner.crops, 1)
    // Tracking the face in the next frame uses the main estimator.
    _ = tracker.process(image, time: 1.0 / 30)
    XCTAssertEqual(estimator.crops, 3)
    XCTAssertEqual(refiner.crops, 1)
  }

  func testAveragingEstimatorAveragesPointsAndScores() {
    let a = ConstantEstimator(point: SIMD2(10, 20), score: 0.2)
    let b = ConstantEstimator(point: SIMD2(30, 40), score: 0.8)
    let ensemble = AveragingEstimator([a, b])
    var points = [SIMD2<Float>](repeating: .zero, count: 2 * Keypoints.count)
    var scores: [Float] = [0, 0]
    ensemble.estimate(
      crops: [UInt8](repeating: 0, count: 2 * 96 * 96), count: 2, points: &points, scores: &scores)
    XCTAssertEqual(Set(points), [SIMD2(20, 30)])
    XCTAssertEqual(scores[0], 0.5, accuracy: 1e-6)
    XCTAssertEqual(scores[1], 0.5, accuracy: 1e-6)
  }
}

/// Returns the boxes it holds.
private final class BoxFinder: FaceFinding {
  var boxes: [FaceBox]
  init(boxes: [FaceBox]) { self.boxes = boxes }
  func detect(in image: GrayImage) -> [FaceBox] { boxes }
}

/// Says every crop is a face framed exactly as Kaggle's: the mean layout, with `scores[c]` for the c-th crop of
/// each batch (0.9 beyond them).
private final class LayoutEstimator: KeypointEstimating {
  let inputSize = 96
  let scripted: [Float]
  init(scores: [Float] = []) { scripted = scores }
  func estimate(crops: [UInt8], count: Int, points: inout [SIMD2<Float>], scores: inout [Float]) {
    for c in 0..<count {
      for (i, p) in KaggleLayout.meanPoints.enumerated() { points[c * Keypoints.count + i] = p }
      scores[c] = c < scripted.count ? scripted[c] : 0.9
    }
  }
}

/// The same point everywhere and the same score.
private final class ConstantEstimator: KeypointEstimating {
  let inputSize = 96
  let point: SIMD2<Float>
  let score: Float
  init(point: SIMD2<Float>, score: Float) {
    self.point = point
    self.score = score
  }
  func estimate(crops: [UInt8], count: Int, points: inout [SIMD2<Float>], scores: inout [Float]) {
    for i in 0..<(count * Keypoints.count) { points[i] = point }
    for c in 0..<count { scores[c] = score }
  }
}

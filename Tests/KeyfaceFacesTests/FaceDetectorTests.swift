import Foundation
import KeyfaceMedia
import XCTest

@testable import KeyfaceDetection
@testable import KeyfaceFaces
import KeyfaceNN

/// Multi-scale detection, rectangle grouping and the pyramid resizer.
final class FaceDetectorTests: XCTestCase {
  static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("samples")

  func frontalCascade() throws -> HaarCascade {
    guard FileManager.default.fileExists(atPath: HaarCascade.defaultPath) else {
      throw XCTSkip("\(HaarCascade.defaultPath) is missing: install Debian's opencv-data package")
    }
    return try HaarCascade(contentsOf: HaarCascade.defaultPath)
  }

  func astronaut() throws -> GrayImage {
    let path = Self.samples.appendingPathComponent("astronaut.jpg").path
    guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) is missing") }
    return try ImageFile.readGray(path: path)
  }

  func testFindsTheAstronautsFace() throws {
    let detector = FaceDetector(cascade: try frontalCascade())
    let image = try astronaut()
    XCTAssertEqual(image.width, 384)
    let faces = detector.detect(in: image)
    XCTAssertEqual(faces.count, 1, "\(faces)")
    // OpenCV 4.14's detectMultiScale(1.1, 3, minSize 40) finds (132, 49, 72, 72) with 40 neighbours.
    let expected = FaceBox(x: 132, y: 49, width: 72, height: 72)
    let face = try XCTUnwrap(faces.first)
    XCTAssertGreaterThan(face.intersectionOverUnion(expected), 0.85, "\(face)")
    XCTAssertGreaterThan(face.confidence, 0.7)
    XCTAssertLessThanOrEqual(face.confidence, 1)

    // Shifted by padding the picture: the most confident box moves with the face.
    let padded = pad(image, left: 50, top: 30)
    let moved = try XCTUnwrap(detector.detect(in: padded).max { $0.confidence < $1.confidence })
    XCTAssertEqual(moved.x, face.x + 50, accuracy: 4)
    XCTAssertEqual(moved.y, face.y + 30, accuracy: 4)
    XCTAssertEqual(moved.width, face.width, accuracy: 6)
  }

  func testMinimumFaceSizeAndConcurrentUse() throws {
    let cascade = try frontalCascade()
    let image = try astronaut()
    // The face is about 72 px wide: a 100-px minimum skips it.
    XCTAssertTrue(FaceDetector(cascade: cascade, minFaceSize: 100).detect(in: image).isEmpty)
    // One detector, used from several threads at once, gives the same answer on each.
    let detector = FaceDetector(cascade: cascade)
    let reference = detector.detect(in: image)
    let results = LockedResults()
    DispatchQueue.concurrentPerform(iterations: 4) { i in
      results.set(i, detector.detect(in: image))
    }
    for i in 0..<4 {
      XCTAssertEqual(results.get(i), reference)
    }
  }

  func testCoarseWindowStepFindsTheSameFaceWithFewerHits() throws {
    let cascade = try frontalCascade()
    let image = try astronaut()
    let reference = try XCTUnwrap(FaceDetector(cascade: cascade).detect(in: image).first)
    let coarse = FaceDetector(cascade: cascade, windowStep: 2)
    XCTAssertEqual(coarse.windowStep, 2)
    let before = FaceDetector(cascade: cascade, minNeighbors: 0).rawDetections(in: image).count
    let after = coarse.rawDetections(in: image).count
    XCTAssertLessThan(after, before)
    let face = try XCTUnwrap(coarse.detect(in: image).max { $0.confidence < $1.confidence })
    XCTAssertGreaterThan(face.intersectionOverUnion(reference), 0.7, "\(face) vs \(reference)")
  }

  func testNoFaceInFlatOrTinyFrames() throws {
    let detector = FaceDetector(cascade: try frontalCascade())
    XCTAssertTrue(detector.detect(in: GrayImage(width: 320, height: 240, fill: 128)).isEmpty)
    XCTAssertTrue(detector.detect(in: GrayImage(width: 20, height: 20, fill: 128)).isEmpty)
    XCTAssertTrue(detector.detect(in: GrayImage(width: 0, height: 0)).isEmpty)
  }

  func testPyramidScalesFollowOpenCV() throws {
    let detector = FaceDetector(cascade: try frontalCascade(), minFaceSize: 40, scaleFactor: 1.1)
    let scales = detector.pyramidScales(width: 384, height: 300)
    // 24 · 1.1^5 = 38.7 < 40 ≤ 24 · 1.1^6 = 42.5; the last window (24 · 1.1^k) still fits in 300 px.
    XCTAssertEqual(try XCTUnwrap(scales.first), Float(pow(1.1, 6.0)), accuracy: 1e-4)
    XCTAssertLessThanOrEqual((24 * scales.last!).rounded(), 300)
    XCTAssertGreaterThan((24 * scales.last! * 1.1).rounded(), 300)
    for (a, b) in zip(scales, scales.dropFirst()) {
      XCTAssertEqual(b / a, 1.1, accuracy: 1e-4)
    }
  }

  func testGroupingAveragesClustersAndDropsWeakOnes() {
    let face = [
      FaceBox(x: 100, y: 100, width: 50, height: 50), FaceBox(x: 102, y: 98, width: 52, height: 52),
      FaceBox(x: 98, y: 101, width: 48, height: 48), FaceBox(x: 101, y: 100, width: 50, height: 50),
    ]
    let lonely = [FaceBox(x: 300, y: 40, width: 40, height: 40), FaceBox(x: 302, y: 41, width: 40, height: 40)]
    let groups = FaceDetector.groupRectangles(face + lonely, minNeighbors: 3, eps: 0.2)
    XCTAssertEqual(groups.count, 1)
    XCTAssertEqual(groups[0].neighbors, 4)
    XCTAssertEqual(groups[0].box.x, 100.25, accuracy: 1e-5)
    XCTAssertEqual(groups[0].box.y, 99.75, accuracy: 1e-5)
    XCTAssertEqual(groups[0].box.width, 50, accuracy: 1e-5)
    // With minNeighbors 1 the pair survives too; with 0 nothing is merged, as in OpenCV.
    XCTAssertEqual(FaceDetector.groupRectangles(face + lonely, minNeighbors: 1, eps: 0.2).count, 2)
    XCTAssertEqual(FaceDetector.groupRectangles(face + lonely, minNeighbors: 0, eps: 0.2).count, 6)
  }

  func testGroupingIsTransitiveAndDropsNestedBoxes() {
    // a ~ b and b ~ c but not a ~ c: one class of three (cv::partition takes the transitive closure).
    let a = FaceBox(x: 0, y: 0, width: 100, height: 100)
    let b = FaceBox(x: 15, y: 0, width: 100, height: 100)
    let c = FaceBox(x: 30, y: 0, width: 100, height: 100)
    XCTAssertTrue(FaceDetector.similar(a, b, eps: 0.2))
    XCTAssertFalse(FaceDetector.similar(a, c, eps: 0.2))
    let chain = FaceDetector.groupRectangles([a, b, c], minNeighbors: 2, eps: 0.2)
    XCTAssertEqual(chain.map(\.neighbors), [3])

    // A weak small group inside a strong big one is dropped.
    let big = (0..<8).map { FaceBox(x: 100 + Float($0 % 2), y: 100, width: 120, height: 120) }
    let small = (0..<4).map { FaceBox(x: 140 + Float($0 % 2), y: 150, width: 40, height: 40) }
    let groups = FaceDetector.groupRectangles(big + small, minNeighbors: 3, eps: 0.2)
    XCTAssertEqual(groups.count, 1)
    XCTAssertEqual(groups.first?.neighbors, 8)
    // …but not when it has more hits than the big one.
    let strongSmall = (0..<9).map { FaceBox(x: 140 + Float($0 % 2), y: 150, width: 40, height: 40) }
    XCTAssertEqual(FaceDetector.groupRectangles(big + strongSmall, minNeighbors: 3, eps: 0.2).count, 2)
  }

  func testConfidenceGrowsWithNeighbours() {
    XCTAssertEqual(FaceDetector.confidence(neighbors: 0), 0)
    var previous: Float = 0
    for n in 1...200 {
      let c = FaceDetector.confidence(neighbors: n)
      XCTAssertGreaterThan(c, previous)
      XCTAssertLessThan(c, 1)
      previous = c
    }
  }

  func testPyramidResizerSamplesLikeOpenCV() {
    // 4 → 2 columns: output x samples source x = (x + 0.5) · 2 - 0.5 = 0.5 and 2.5, halfway between pixels.
    let source: [UInt8] = [0, 100, 200, 250]
    var out = [UInt8](repeating: 0, count: 2)
    source.withUnsafeBufferPointer { s in
      out.withUnsafeMutableBufferPointer { d in
        PyramidResizer.resize(s, width: 4, height: 1, into: d, width: 2, height: 1)
      }
    }
    XCTAssertEqual(out, [50, 225])
    // Same size is a copy; a constant picture stays constant at any size.
    var same = [UInt8](repeating: 0, count: 4)
    source.withUnsafeBufferPointer { s in
      same.withUnsafeMutableBufferPointer { d in
        PyramidResizer.resize(s, width: 4, height: 1, into: d, width: 4, height: 1)
      }
    }
    XCTAssertEqual(same, source)
    let flat = [UInt8](repeating: 77, count: 35 * 17)
    var small = [UInt8](repeating: 0, count: 11 * 6)
    flat.withUnsafeBufferPointer { s in
      small.withUnsafeMutableBufferPointer { d in
        PyramidResizer.resize(s, width: 35, height: 17, into: d, width: 11, height: 6)
      }
    }
    XCTAssertEqual(Set(small), [77])
  }

  func testTiltedPassesFindATiltedHead() throws {
    let cascade = try frontalCascade()
    let image = try astronaut()
    let upright = try XCTUnwrap(FaceDetector(cascade: cascade).detect(in: image).first)
    // Tilt the picture by 25°; the face centre moves to where the inverse rotation sends it.
    let tilted = FrameRotator(width: image.width, height: image.height, degrees: 25).rotate(image)
    let expected = FrameRotator(width: image.width, height: image.height, degrees: -25).sourcePoint(of: upright.center)
    let detector = FaceDetector(cascade: cascade, rotations: [-25, 25])
    XCTAssertEqual(detector.rotations, [-25, 25])
    let faces = detector.detect(in: tilted)
    let face = try XCTUnwrap(faces.max { $0.confidence < $1.confidence }, "\(faces)")
    XCTAssertEqual(face.center.x, expected.x, accuracy: 6, "\(face)")
    XCTAssertEqual(face.center.y, expected.y, accuracy: 6, "\(face)")
    XCTAssertEqual(face.width, upright.width, accuracy: 10)
    // The same face found by the upright and a tilted pass is reported once.
    let both = FaceDetector(cascade: cascade, rotations: [-10, 10]).detect(in: image)
    XCTAssertEqual(both.filter { $0.intersectionOverUnion(upright) > 0.3 }.count, 1, "\(both)")
  }

  func testFrameRotatorMapsPointsBothWays() {
    let forward = FrameRotator(width: 200, height: 100, degrees: 30)
    let backward = FrameRotator(width: 200, height: 100, degrees: -30)
    let p = SIMD2<Float>(37, 81)
    let q = forward.sourcePoint(of: backward.sourcePoint(of: p))
    XCTAssertEqual(q.x, p.x, accuracy: 1e-3)
    XCTAssertEqual(q.y, p.y, accuracy: 1e-3)
    XCTAssertEqual(forward.sourcePoint(of: SIMD2(100, 50)), SIMD2(100, 50))  // the centre stays put
    // A bright dot moves where sourcePoint says: output pixel q shows source pixel sourcePoint(q).
    var image = GrayImage(width: 200, height: 100, fill: 0)
    image[149, 50] = 255
    let rotated = FrameRotator(width: 200, height: 100, degrees: 90).rotate(image)
    // 90°: source = centre + (-dy, dx): output (100.5, 0.5) samples (149.5, 50.5), pixel (149, 50)'s centre.
    XCTAssertEqual(rotated[100, 0], 255)
    XCTAssertEqual(FrameRotator(width: 200, height: 100, degrees: 0).rotate(image).pixels, image.pixels)
  }

  func testKaggleLayoutCropInvertsScaleAndShift() throws {
    XCTAssertEqual(KaggleLayout.meanPoints.count, 15)
    XCTAssertEqual(KaggleLayout.datasetMeanPoints.count, 15)
    // Eyes near y 38, mouth near y 76, the subject's left eye on the image's right.
    XCTAssertEqual(KaggleLayout.meanPoints[0].y, 38, accuracy: 2)
    XCTAssertGreaterThan(KaggleLayout.meanPoints[0].x, KaggleLayout.meanPoints[1].x)
    XCTAssertEqual(KaggleLayout.meanPoints[14].y, 78, accuracy: 3)
    // Points that are the layout scaled by 2.5 and moved by (100, 40) give back that crop exactly.
    let points = KaggleLayout.meanPoints.map { $0 * 2.5 + SIMD2(100, 40) }
    let crop = try XCTUnwrap(KaggleLayout.crop(fitting: points))
    XCTAssertEqual(crop.centerX, 48 * 2.5 + 100, accuracy: 1e-3)
    XCTAssertEqual(crop.centerY, 48 * 2.5 + 40, accuracy: 1e-3)
    XCTAssertEqual(crop.side, 96 * 2.5, accuracy: 1e-3)
    // Least squares: moving one point moves the crop by a fifteenth of it, in crop units.
    var moved = points
    moved[10].x += 15 * 2.5
    let shifted = try XCTUnwrap(KaggleLayout.crop(fitting: moved))
    XCTAssertEqual(shifted.centerX - crop.centerX, 2.5, accuracy: 0.3)
    XCTAssertNil(KaggleLayout.crop(fitting: [SIMD2<Float>](repeating: SIMD2(5, 5), count: 15)))
  }

  func testCalibratedCropFramesTheAstronautLikeTrainingData() throws {
    let detector = FaceDetector(cascade: try frontalCascade())
    let face = try XCTUnwrap(detector.detect(in: try astronaut()).first)
    let crop = DetectorCalibration.kaggleCrop(for: face)
    XCTAssertEqual(crop.side, face.width * DetectorCalibration.side, accuracy: 1e-4)
    // Hand-marked in samples/astronaut.jpg: eye centres (152, 75.8) and (185.8, 76.8), mouth centre
    // (167.5, 109.5). In the crop they must land near Kaggle's layout (eyes x 30 and 66, y 38; mouth
    // y 73-79), within the few pixels a detector box scatters.
    func inCrop(_ x: Float, _ y: Float) -> SIMD2<Float> {
      let scale = 96 / crop.side
      return SIMD2((x - crop.centerX) * scale + 48, (y - crop.centerY) * scale + 48)
    }
    let rightEye = inCrop(152, 75.8)
    let leftEye = inCrop(185.8, 76.8)
    let mouth = inCrop(167.5, 109.5)
    XCTAssertEqual(rightEye.x, KaggleLayout.meanPoints[1].x, accuracy: 7, "\(rightEye)")
    XCTAssertEqual(leftEye.x, KaggleLayout.meanPoints[0].x, accuracy: 7, "\(leftEye)")
    XCTAssertEqual(rightEye.y, 38, accuracy: 6, "\(rightEye)")
    XCTAssertEqual(leftEye.y, 38, accuracy: 6, "\(leftEye)")
    XCTAssertEqual(mouth.y, 76, accuracy: 7, "\(mouth)")
  }

  func pad(_ image: GrayImage, left: Int, top: Int) -> GrayImage {
    var out = GrayImage(width: image.width + left + 20, height: image.height + top + 20, fill: 0)
    // Edge-replicated padding keeps the border from looking like a face edge.
    for y in 0..<out.height {
      for x in 0..<out.width {
        let sx = min(max(x - left, 0), image.width - 1)
        let sy = min(max(y - top, 0), image.height - 1)
        out[x, y] = image[sx, sy]
      }
    }
    return out
  }
}

/// Results written from several threads.
private final class LockedResults: @unchecked Sendable {
  private let lock = NSLock()
  private var values: [Int: [FaceBox]] = [:]
  func set(_ i: Int, _ value: [FaceBox]) { lock.withLock { values[i] = value } }
  func get(_ i: Int) -> [FaceBox]? { lock.withLock { values[i] } }
}

import KeyfaceMedia
import XCTest

@testable import KeyfaceFaces
import KeyfaceNN

final class FaceAlignerTests: XCTestCase {
  /// A horizontal ramp: pixel (x, y) has value x, so bilinear sampling returns the sample's x exactly.
  func rampImage(width: Int = 240, height: Int = 120) -> GrayImage {
    var image = GrayImage(width: width, height: height)
    for y in 0..<height {
      for x in 0..<width { image[x, y] = UInt8(x) }
    }
    return image
  }

  func testCropSamplesPixelCentres() {
    let aligner = FaceAligner(cropSize: 96)
    // Scale 1, shifted by a quarter pixel: crop pixel i samples frame coordinate 10.25 + i + 0.5.
    let t = CropTransform(a: 1, b: 0, c: 0, d: 1, tx: 10.25, ty: 5)
    let crop = aligner.crop(rampImage(), transform: t)
    for i in [0, 1, 47, 95] {
      // Frame pixel centres sit at k + 0.5, so the value there is frame x - 0.5 = 10.25 + i.
      XCTAssertEqual(Int(crop[30 * 96 + i]), Int((10.25 + Float(i)).rounded()))
    }
  }

  func testBrightPixelMapsBack() {
    var image = GrayImage(width: 200, height: 150, fill: 0)
    image[120, 60] = 255
    let aligner = FaceAligner(cropSize: 96)
    // Crop pixel (u, v) centre maps to frame (u + 0.5 + 70, v + 0.5 + 20): pixel (50, 40) shows (120, 60).
    let t = CropTransform(a: 1, b: 0, c: 0, d: 1, tx: 70, ty: 20)
    let crop = aligner.crop(image, transform: t)
    let brightest = crop.indices.max { crop[$0] < crop[$1] }!
    XCTAssertEqual(brightest % 96, 50)
    XCTAssertEqual(brightest / 96, 40)
    XCTAssertEqual(crop[brightest], 255)
    let back = t.frame(from: SIMD2(50.5, 40.5))
    XCTAssertEqual(back.x, 120.5, accuracy: 1e-4)
    XCTAssertEqual(back.y, 60.5, accuracy: 1e-4)
  }

  func testBorderIsReplicated() {
    let image = rampImage(width: 100, height: 50)
    let t = CropTransform(a: 1, b: 0, c: 0, d: 1, tx: -200, ty: -200)
    let crop = FaceAligner(cropSize: 96).crop(image, transform: t)
    XCTAssertTrue(crop.allSatisfy { $0 == 0 })
    let right = FaceAligner(cropSize: 96).crop(image, transform: CropTransform(a: 1, b: 0, c: 0, d: 1, tx: 500, ty: 10))
    XCTAssertTrue(right.allSatisfy { $0 == 99 })
  }

  func testDownscaledCropAveragesInsteadOfAliasing() {
    // A one-pixel checkerboard shrunk 4x must come out as flat grey, not as a moiré of 0s and 255s.
    var image = GrayImage(width: 400, height: 400)
    for y in 0..<400 {
      for x in 0..<400 { image[x, y] = (x + y) % 2 == 0 ? 255 : 0 }
    }
    let t = CropTransform(centerX: 200, centerY: 200, side: 384)
    XCTAssertEqual(FaceAligner.supersampling(for: t), 4)
    let crop = FaceAligner(cropSize: 96).crop(image, transform: t)
    for v in crop { XCTAssertEqual(Int(v), 128, accuracy: 2) }
  }

  func testRoundTripIsExact() {
    let transforms = [
      CropTransform(centerX: 321.7, centerY: 180.2, side: 143.9),
      CropTransform(centerX: 50, centerY: 60, side: 40, angle: 0.3),
      CropTransform(fullFrameWidth: 640, height: 360),
    ]
    for t in transforms {
      for p in [SIMD2<Float>(0, 0), SIMD2(96, 96), SIMD2(12.25, 80.5), SIMD2(48, 48)] {
        let frame = t.frame(from: p)
        let back = t.crop(from: frame)
        XCTAssertEqual(back.x, p.x, accuracy: 1e-3)
        XCTAssertEqual(back.y, p.y, accuracy: 1e-3)
      }
    }
    // The crop's centre is where it was asked to be.
    let c = CropTransform(centerX: 321.7, centerY: 180.2, side: 143.9).center()
    XCTAssertEqual(c.x, 321.7, accuracy: 1e-3)
    XCTAssertEqual(c.y, 180.2, accuracy: 1e-3)
    XCTAssertEqual(CropTransform(centerX: 0, centerY: 0, side: 192).scale, 2, accuracy: 1e-6)
  }

  func testFullFrameCoversTheFrame() {
    let t = CropTransform(fullFrameWidth: 640, height: 360)
    XCTAssertEqual(t.frame(from: SIMD2(0, 0)), SIMD2(0, 0))
    XCTAssertEqual(t.frame(from: SIMD2(96, 96)), SIMD2(640, 360))
  }

  func testSimilarityFitRecoversKnownTransform() {
    let layout = KaggleLayout.meanPoints
    for rotate in [false, true] {
      let truth = CropTransform(centerX: 250.5, centerY: 140.25, side: 180, angle: rotate ? 0.2 : 0)
      let points = layout.map { truth.frame(from: $0) }
      let fit = CropTransform.fit(points: points, onto: layout, allowRotation: rotate)!
      for (a, b) in [(fit.a, truth.a), (fit.b, truth.b), (fit.c, truth.c), (fit.d, truth.d), (fit.tx, truth.tx), (fit.ty, truth.ty)] {
        XCTAssertEqual(a, b, accuracy: 1e-3)
      }
    }
  }

  /// A head tilted by 0.35 rad: kept up to `rollKept`, turned by the rest; the scale is the least-squares one for
  /// the angle used (the full scale times cos of the angle left out).
  func testPartialRotationKeepsRollUpToTheLimit() {
    let layout = KaggleLayout.meanPoints
    let truth = CropTransform(centerX: 200, centerY: 150, side: 150, angle: 0.35)
    let points = layout.map { truth.frame(from: $0) }
    for (kept, turned) in [(Float(0), Float(0.35)), (0.1, 0.25), (0.35, 0), (1, 0), (.infinity, 0)] {
      let fit = CropTransform.fit(points: points, onto: layout, rollKept: kept)!
      XCTAssertEqual(fit.angle, turned, accuracy: 1e-4, "rollKept \(kept)")
      XCTAssertEqual(fit.scale, truth.scale / cos(0.35 - turned), accuracy: 1e-3 * truth.scale, "rollKept \(kept)")
    }
    let tiltedLeft = layout.map { CropTransform(centerX: 200, centerY: 150, side: 150, angle: -0.35).frame(from: $0) }
    XCTAssertEqual(CropTransform.fit(points: tiltedLeft, onto: layout, rollKept: 0.1)!.angle, -0.25, accuracy: 1e-4)
    let noRotation = CropTransform.fit(points: points, onto: layout)!
    let infinite = CropTransform.fit(points: points, onto: layout, rollKept: .infinity)!
    XCTAssertEqual(noRotation.a, infinite.a)
    XCTAssertEqual(noRotation.tx, infinite.tx)
  }

  func testFitWithoutRotationMatchesCropSpaceLeastSquares() {
    // Noisy points: the fit minimises the error in crop units, so nudging its scale or shift only worsens it.
    let layout = KaggleLayout.meanPoints
    let truth = CropTransform(centerX: 100, centerY: 80, side: 120)
    var points = layout.map { truth.frame(from: $0) }
    for i in points.indices { points[i] += SIMD2(Float(i % 3) - 1, Float(i % 5) - 2) * 0.7 }
    let fit = CropTransform.fit(points: points, onto: layout)!
    func cost(_ t: CropTransform) -> Float {
      zip(points, layout).reduce(0) { sum, pair in
        let d = t.crop(from: pair.0) - pair.1
        return sum + d.x * d.x + d.y * d.y
      }
    }
    let best = cost(fit)
    for (ds, dx) in [(Float(1.01), Float(0)), (0.99, 0), (1, 0.3), (1, -0.3)] {
      var t = fit
      t.a *= ds
      t.d *= ds
      t.tx += dx
      XCTAssertGreaterThan(cost(t), best)
    }
    XCTAssertNil(CropTransform.fit(points: Array(repeating: SIMD2(1, 1), count: 15), onto: layout))
  }
}

final class FaceAlignerPathTests: XCTestCase {
  func testAxisAlignedPathMatchesGeneralPath() {
    // A textured frame; an upright transform takes the fast separable path, a rotation of 1e-6 rad the
    // general one: the crops must agree to rounding.
    var image = GrayImage(width: 300, height: 200)
    for y in 0..<200 {
      for x in 0..<300 { image[x, y] = UInt8((x * 7 + y * 13 + (x * y) % 31) % 256) }
    }
    let aligner = FaceAligner(cropSize: 96)
    for side: Float in [60, 150, 290] {
      let upright = CropTransform(centerX: 140.3, centerY: 95.7, side: side)
      let tilted = CropTransform(centerX: 140.3, centerY: 95.7, side: side, angle: 1e-6)
      XCTAssertEqual(upright.b, 0)
      XCTAssertNotEqual(tilted.b, 0)
      let a = aligner.crop(image, transform: upright), b = aligner.crop(image, transform: tilted)
      let worst = zip(a, b).map { abs(Int($0) - Int($1)) }.max()!
      XCTAssertLessThanOrEqual(worst, 1, "side \(side)")
    }
  }
}

import Foundation
import XCTest

@testable import KeyfaceTraining

final class PNGWriterTests: XCTestCase {
  func testPNGDecodesToTheSamePixels() throws {
    let fixtures = try Fixtures()
    let width = 37
    let height = 21
    let rgb: [UInt8] = (0..<(3 * width * height)).map { (i: Int) -> UInt8 in UInt8((i * 31 + i / 7) % 256) }
    let url = fixtures.directory.appendingPathComponent("t.png")
    try PNGWriter.write(width: width, height: height, rgb: rgb, to: url)
    let bytes = [UInt8](try Data(contentsOf: url))
    XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    XCTAssertEqual(Array(bytes[12..<16]), Array("IHDR".utf8))
    // An independent decoder (FFmpeg's, which verifies CRCs) must give back every byte.
    let decoded = try fixtures.run(
      "/usr/bin/env", ["ffmpeg", "-v", "error", "-i", url.path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    XCTAssertEqual([UInt8](decoded), rgb)
  }

  func testContactSheetDrawsTruthGreenAndPredictionRed() {
    var data = KaggleDataset()
    var xy = [Float](repeating: 0, count: 30)
    var mask = [Float](repeating: 0, count: 30)
    xy[0] = 20
    xy[1] = 30
    mask[0] = 1
    mask[1] = 1
    data.append(pixels: [UInt8](repeating: 100, count: 9216), coordinates: xy, mask: mask, imageId: 1)
    var predicted = [Float](repeating: 0, count: 30)
    predicted[0] = 70
    predicted[1] = 60
    let sheet = ContactSheet(columns: 4, zoom: 2).render(data, rows: [0], predicted: predicted)
    XCTAssertEqual(sheet.width, 192 + 4)
    func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(sheet.rgb[(3 * (y * sheet.width + x))..<(3 * (y * sheet.width + x) + 3)]) }
    XCTAssertEqual(pixel(2 + 40, 2 + 60), [0, 220, 0])
    XCTAssertEqual(pixel(2 + 140, 2 + 120), [230, 0, 0])
    XCTAssertEqual(pixel(2 + 100, 2 + 10), [100, 100, 100])
    XCTAssertEqual(pixel(0, 0), [255, 255, 255])
  }

  func testLossCurvesSVGHasBothCurves() {
    let reports = (1...5).map {
      EpochReport(epoch: $0, trainLoss: 1 / Double($0), validationRMSE: 3 - Double($0) * 0.3, scoreAccuracy: nil,
        seconds: 1, learningRate: 0.001, isBest: true)
    }
    let svg = LossCurvePlot(reports: reports).svg
    XCTAssertTrue(svg.hasPrefix("<svg"))
    XCTAssertEqual(svg.components(separatedBy: "<polyline").count, 3)
    XCTAssertTrue(svg.contains("validation RMSE"))
  }
}

import Foundation
import KeyfaceNN
import XCTest

@testable import KeyfaceTraining

final class KaggleDatasetTests: XCTestCase {
  private func threeRows() -> (String, [[Float?]]) {
    var rows: [[Float?]] = []
    for r in 0..<3 {
      var c: [Float?] = (0..<30).map { Float($0) + Float(r) * 0.5 + 10.25 }
      if r == 1 {
        for k in 4..<30 { c[k] = nil }  // like Kaggle: most keypoints missing
      }
      rows.append(c)
    }
    let text = ([Fixtures.trainingHeader] + rows.enumerated().map { Fixtures.trainingRow($1, pixels: Fixtures.pixels(seed: $0)) })
      .joined(separator: "\n") + "\n"
    return (text, rows)
  }

  func testTrainingCSVMasksMissingValues() throws {
    let fixtures = try Fixtures()
    let (text, rows) = threeRows()
    let data = try KaggleDataset(contentsOf: fixtures.write("training.csv", text).path)
    XCTAssertEqual(data.count, 3)
    XCTAssertTrue(data.hasKeypoints)
    XCTAssertEqual(data.imageIds, [1, 2, 3])
    for (r, row) in rows.enumerated() {
      for k in 0..<30 {
        XCTAssertEqual(data.mask[r * 30 + k], row[k] == nil ? 0 : 1, "row \(r) coordinate \(k)")
        XCTAssertEqual(data.coordinates[r * 30 + k], row[k] ?? 0, accuracy: 1e-5)
      }
      XCTAssertEqual(Array(data.pixels[r * 9216..<(r + 1) * 9216]), Fixtures.pixels(seed: r))
    }
  }

  func testGzipAndCRLFGiveTheSameData() throws {
    let fixtures = try Fixtures()
    let (text, _) = threeRows()
    let plainURL = try fixtures.write("training.csv", text)
    let plain = try KaggleDataset(contentsOf: plainURL.path)
    let gz = try KaggleDataset(contentsOf: fixtures.gzip(plainURL).path)
    let crlf = try KaggleDataset(contentsOf: fixtures.write("crlf.csv", text.replacingOccurrences(of: "\n", with: "\r\n")).path)
    for other in [gz, crlf] {
      XCTAssertEqual(other.pixels, plain.pixels)
      XCTAssertEqual(other.coordinates, plain.coordinates)
      XCTAssertEqual(other.mask, plain.mask)
    }
  }

  func testTestCSVReadsImageIds() throws {
    let fixtures = try Fixtures()
    let text = "ImageId,Image\n7,\(Fixtures.pixels(seed: 1).map(String.init).joined(separator: " "))\n"
      + "9,\(Fixtures.pixels(seed: 2).map(String.init).joined(separator: " "))"  // no final newline
    let data = try KaggleDataset(contentsOf: fixtures.write("test.csv", text).path)
    XCTAssertFalse(data.hasKeypoints)
    XCTAssertEqual(data.imageIds, [7, 9])
    XCTAssertEqual(Array(data.pixels[9216...]), Fixtures.pixels(seed: 2))
    XCTAssertEqual(data.mask, [Float](repeating: 0, count: 60))
  }

  func testMalformedRowsNameFileAndLine() throws {
    let fixtures = try Fixtures()
    let good = Fixtures.trainingRow((0..<30).map { Float($0) }, pixels: Fixtures.pixels(seed: 0))
    let shortImage = Fixtures.trainingRow((0..<30).map { Float($0) }, pixels: Array(Fixtures.pixels(seed: 0).dropLast()))
    let badNumber = good.replacingOccurrences(of: "0.0,1.0,", with: "0.0,abc,")
    let bigPixel = Fixtures.trainingRow((0..<30).map { Float($0) }, pixels: [UInt8](repeating: 1, count: 9215)) + " 256"
    let cases: [(String, String)] = [
      (shortImage, "expected 9216 pixel values in Image, found 9215"),
      (badNumber, "left_eye_center_y is not a number"),
      ("1,2,3", "expected 31 cells, found 3"),
      (bigPixel, "pixel 9216 of Image is above 255"),
    ]
    for (index, (row, message)) in cases.enumerated() {
      let url = try fixtures.write("bad\(index).csv", [Fixtures.trainingHeader, good, good, row, good].joined(separator: "\n"))
      XCTAssertThrowsError(try KaggleDataset(contentsOf: url.path)) { error in
        let error = error as! KaggleCSVError
        XCTAssertEqual(error.line, 4, "case \(index)")
        XCTAssertEqual(error.path, url.path)
        XCTAssertTrue(error.message.contains(message), "case \(index): \(error.message)")
        XCTAssertTrue(error.description.hasPrefix("\(url.path):4: "))
      }
    }
  }

  func testBadFilesGiveOneLineErrors() throws {
    let fixtures = try Fixtures()
    XCTAssertThrowsError(try KaggleDataset(contentsOf: fixtures.directory.appendingPathComponent("missing.csv").path)) {
      XCTAssertTrue(String(describing: $0).hasSuffix("missing.csv: no such file"))
    }
    XCTAssertThrowsError(try KaggleDataset(contentsOf: fixtures.write("noimage.csv", "a,b\n1,2\n").path)) {
      XCTAssertTrue(String(describing: $0).contains("expected one Image column"))
    }
    let partial = Fixtures.trainingHeader.replacingOccurrences(of: "nose_tip_x,", with: "")
    XCTAssertThrowsError(try KaggleDataset(contentsOf: fixtures.write("partial.csv", partial + "\n").path)) {
      XCTAssertTrue(String(describing: $0).contains("nose_tip_x is missing"))
    }
    // A gzip file cut in half: zlib reports the truncation rather than a silent short read.
    let (text, _) = threeRows()
    let gz = try fixtures.gzip(fixtures.write("t.csv", text))
    let bytes = try Data(contentsOf: gz)
    let cut = fixtures.directory.appendingPathComponent("cut.csv.gz")
    try bytes.prefix(bytes.count / 2).write(to: cut)
    XCTAssertThrowsError(try KaggleDataset(contentsOf: cut.path)) {
      XCTAssertTrue(String(describing: $0).hasPrefix(cut.path + ":"), String(describing: $0))
    }
    // A huge ImageId is an error, not a trap converting it to an integer.
    let image = (0..<9216).map { _ in "7" }.joined(separator: " ")
    for id in ["99999999999999999999", "-123456789012345678"] {
      let path = try fixtures.write("huge-\(id).csv", "ImageId,Image\n\(id),\(image)\n").path
      XCTAssertThrowsError(try KaggleDataset(contentsOf: path)) {
        XCTAssertTrue(String(describing: $0).contains("ImageId is not a whole number"), String(describing: $0))
      }
    }
  }

  func testCoordinateNames() {
    XCTAssertEqual(KaggleDataset.coordinateName(0), "left_eye_center_x")
    XCTAssertEqual(KaggleDataset.coordinateName(29), "mouth_center_bottom_lip_y")
    XCTAssertEqual(KaggleDataset.coordinateIndex("nose_tip_y"), 21)
    XCTAssertNil(KaggleDataset.coordinateIndex("nose_tip_z"))
  }
}

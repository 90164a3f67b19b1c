import Foundation
import XCTest

@testable import KeyfaceMedia

final class ImageFileTests: XCTestCase {
  /// A 64x48 picture: dark left half, bright right half, limited range.
  private let picture: YUVImage = {
    var image = YUVImage(width: 64, height: 48, fill: 40)
    for y in 0..<48 { for x in 32..<64 { image.y[y * 64 + x] = 200 } }
    return image
  }()

  func testWriteAndReadBackEachFormat() throws {
    let dir = try temporaryFolder(self)
    for ext in ["png", "jpg", "bmp"] {
      let path = dir.appendingPathComponent("picture.\(ext)").path
      try ImageFile.write(picture, to: path)
      let kind = try ffprobeStreams(path, "stream=codec_name").first
      XCTAssertEqual(kind, ["png": "png", "jpg": "mjpeg", "bmp": "bmp"][ext])
      let gray = try ImageFile.readGray(path: path)
      XCTAssertEqual(gray.width, 64)
      XCTAssertEqual(gray.height, 48)
      let dark = Double(PlaneRotation.limitedToFullRange[40])
      let bright = Double(PlaneRotation.limitedToFullRange[200])
      XCTAssertEqual(Double(gray[5, 20]), dark, accuracy: 4, ext)
      XCTAssertEqual(Double(gray[60, 20]), bright, accuracy: 4, ext)
    }
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(),
      ["picture.bmp", "picture.jpg", "picture.png"], "no temporary files left")
  }

  func testBadPathsNameTheFile() throws {
    let dir = try temporaryFolder(self)
    let unknown = dir.appendingPathComponent("picture.tiff").path
    XCTAssertThrowsError(try ImageFile.write(picture, to: unknown)) {
      XCTAssertEqual("\($0)", "\(unknown): unknown image type '.tiff' (use .png, .jpg or .bmp)")
    }
    let nowhere = dir.appendingPathComponent("no/such/folder.png").path
    XCTAssertThrowsError(try ImageFile.write(picture, to: nowhere)) {
      XCTAssertTrue("\($0)".hasPrefix(nowhere + ": cannot write"), "\($0)")
    }
    let missing = dir.appendingPathComponent("missing.jpg").path
    XCTAssertThrowsError(try ImageFile.readGray(path: missing)) {
      XCTAssertTrue("\($0)".hasPrefix(missing + ": cannot open (No such file"), "\($0)")
    }
  }
}

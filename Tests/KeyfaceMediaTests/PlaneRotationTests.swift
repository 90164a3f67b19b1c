import XCTest

@testable import KeyfaceMedia

final class PlaneRotationTests: XCTestCase {
  /// The plain definition: displayed (x, y) after a clockwise turn reads the source pixel it came from.
  private func reference(_ source: [UInt8], width: Int, height: Int, degrees: Int) -> [UInt8] {
    let (outWidth, outHeight) = degrees % 180 == 0 ? (width, height) : (height, width)
    var output = [UInt8](repeating: 0, count: width * height)
    for y in 0..<outHeight {
      for x in 0..<outWidth {
        let (sx, sy): (Int, Int)
        switch degrees {
        case 90: (sx, sy) = (y, height - 1 - x)
        case 180: (sx, sy) = (width - 1 - x, height - 1 - y)
        case 270: (sx, sy) = (width - 1 - y, x)
        default: (sx, sy) = (x, y)
        }
        output[y * outWidth + x] = source[sy * width + sx]
      }
    }
    return output
  }

  func testTiledRotationMatchesTheDefinition() {
    // Sizes that are not multiples of the tile, with a row stride wider than the picture.
    for (width, height) in [(37, 70), (64, 32), (1, 5), (100, 33)] {
      let stride = width + 3
      var padded = [UInt8](repeating: 0, count: stride * height)
      var plain = [UInt8](repeating: 0, count: width * height)
      for y in 0..<height {
        for x in 0..<width {
          let value = UInt8(truncatingIfNeeded: x * 7 + y * 13)
          padded[y * stride + x] = value
          plain[y * width + x] = value
        }
      }
      for degrees in [0, 90, 180, 270] {
        for mirrored in [false, true] {
          var output = [UInt8](repeating: 0, count: width * height)
          padded.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
              PlaneRotation.rotate(
                input.baseAddress!, width: width, height: height, stride: stride, degrees: degrees,
                mirrored: mirrored, into: out.baseAddress!)
            }
          }
          var expected = reference(plain, width: width, height: height, degrees: degrees)
          if mirrored {
            // Each displayed row reversed.
            let rowLength = degrees % 180 == 0 ? width : height
            expected = Swift.stride(from: 0, to: expected.count, by: rowLength).flatMap {
              expected[$0..<($0 + rowLength)].reversed()
            }
          }
          XCTAssertEqual(output, expected, "\(width)x\(height) \(degrees) mirrored \(mirrored)")
        }
      }
    }
  }

  func testRangeTableEnds() {
    let table = PlaneRotation.limitedToFullRange
    XCTAssertEqual(table[0], 0)
    XCTAssertEqual(table[16], 0)
    XCTAssertEqual(table[235], 255)
    XCTAssertEqual(table[255], 255)
    XCTAssertEqual(table[126], 128)
  }
}

extension PlaneRotationTests {
  func testFixedPointRangeExpansionMatchesTheTable() {
    for value in 0...255 {
      XCTAssertEqual(
        PlaneRotation.ExpandRange.map(UInt8(value)), PlaneRotation.limitedToFullRange[value],
        "luma \(value)")
    }
    // Through the rotation paths too.
    let input = (0..<256).map { UInt8($0) }
    for degrees in [0, 90, 180, 270] {
      var output = [UInt8](repeating: 0, count: 256)
      input.withUnsafeBufferPointer { i in
        output.withUnsafeMutableBufferPointer { o in
          PlaneRotation.rotate(
            i.baseAddress!, width: 16, height: 16, stride: 16, degrees: degrees, expandRange: true,
            into: o.baseAddress!)
        }
      }
      XCTAssertEqual(output.sorted(), PlaneRotation.limitedToFullRange.sorted(), "\(degrees)")
    }
  }
}

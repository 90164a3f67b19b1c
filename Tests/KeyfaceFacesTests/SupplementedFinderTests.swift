import Foundation
import KeyfaceMedia
import XCTest

@testable import KeyfaceDetection
@testable import KeyfaceFaces

final class SupplementedFinderTests: XCTestCase {
  func testMirrorFlipsRows() {
    let image = GrayImage(width: 3, height: 2, pixels: [1, 2, 3, 4, 5, 6])
    XCTAssertEqual(SupplementedFinder.mirror(image).pixels, [3, 2, 1, 6, 5, 4])
  }

  /// Without readable supplementary cascades the main finder's boxes come back unchanged.
  func testMissingCascadesLeaveTheMainSearch() {
    let main = CountingFinder()
    main.faces = [SyntheticFace(center: SIMD2(50, 40), radius: 20)]
    let finder = SupplementedFinder(
      main: main, supplements: [.init(path: "/nonexistent/profile.xml", mirrored: true)])
    let boxes = finder.detect(in: GrayImage(width: 100, height: 80))
    XCTAssertEqual(boxes.count, 1)
    XCTAssertEqual(boxes.first?.x, 30)
    XCTAssertEqual(main.calls, 1)
  }

  /// OpenCV's supplementary cascades are found beside the default one; on a blank image they add nothing.
  func testPhotoSupplementsBesideTheDefaultCascade() throws {
    let supplements = SupplementedFinder.photoSupplements(besideFrontal: HaarCascade.defaultPath)
    XCTAssertEqual(supplements.map { URL(fileURLWithPath: $0.path).lastPathComponent },
      ["haarcascade_frontalface_alt2.xml", "haarcascade_profileface.xml"])
    for supplement in supplements where !FileManager.default.fileExists(atPath: supplement.path) {
      throw XCTSkip("\(supplement.path) is missing: install Debian's opencv-data package")
    }
    let main = CountingFinder()
    let finder = SupplementedFinder(main: main, supplements: supplements)
    XCTAssertEqual(finder.detect(in: GrayImage(width: 160, height: 120, fill: 90)), [])
  }
}

/// Reports one fixed box and remembers the size of the image it searched.
private final class SizeRecordingFinder: FaceFinding {
  var seen: [(Int, Int)] = []
  func detect(in image: GrayImage) -> [FaceBox] {
    seen.append((image.width, image.height))
    return [FaceBox(x: 10, y: 20, width: 30, height: 30)]
  }
}

final class DownscalingFinderTests: XCTestCase {
  func testLargeFramesAreSearchedSmallAndBoxesScaledBack() {
    let base = SizeRecordingFinder()
    let finder = DownscalingFinder(base, maxSide: 100)
    let small = finder.detect(in: GrayImage(width: 80, height: 60))
    XCTAssertEqual(small, [FaceBox(x: 10, y: 20, width: 30, height: 30)])
    let large = finder.detect(in: GrayImage(width: 400, height: 300))
    XCTAssertEqual(base.seen.map { [$0.0, $0.1] }, [[80, 60], [100, 75]])
    XCTAssertEqual(large, [FaceBox(x: 40, y: 80, width: 120, height: 120)])
  }
}

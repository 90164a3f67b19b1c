import Foundation
import KeyfaceMedia
import XCTest

@testable import KeyfaceFaces

final class ProfileAugmentedFinderTests: XCTestCase {
  func testMirrorFlipsRows() {
    let image = GrayImage(width: 3, height: 2, pixels: [1, 2, 3, 4, 5, 6])
    XCTAssertEqual(ProfileAugmentedFinder.mirror(image).pixels, [3, 2, 1, 6, 5, 4])
  }

  /// Without a readable profile cascade the frontal finder's boxes come back unchanged.
  func testMissingProfileCascadeLeavesTheFrontalSearch() {
    let frontal = CountingFinder()
    frontal.faces = [SyntheticFace(center: SIMD2(50, 40), radius: 20)]
    let finder = ProfileAugmentedFinder(frontal: frontal, profilePath: "/nonexistent/profile.xml")
    let boxes = finder.detect(in: GrayImage(width: 100, height: 80))
    XCTAssertEqual(boxes.count, 1)
    XCTAssertEqual(boxes.first?.x, 30)
    XCTAssertEqual(frontal.calls, 1)
  }

  /// With OpenCV's profile cascade, a blank image adds nothing and the path is found beside the frontal one.
  func testProfileCascadeBesideTheFrontalOne() throws {
    let path = ProfileAugmentedFinder.profilePath(besideFrontal: HaarCascade.defaultPath)
    XCTAssertTrue(path.hasSuffix("/haarcascade_profileface.xml"))
    guard FileManager.default.fileExists(atPath: path) else {
      throw XCTSkip("\(path) is missing: install Debian's opencv-data package")
    }
    let frontal = CountingFinder()
    let finder = ProfileAugmentedFinder(frontal: frontal, profilePath: path)
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

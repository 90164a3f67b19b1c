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

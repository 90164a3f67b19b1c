import XCTest

@testable import KeyfaceBatch

final class ClipFinderTests: XCTestCase {
  var folder: TemporaryFolder!

  override func setUpWithError() throws { folder = try TemporaryFolder("finder") }
  override func tearDown() { folder.remove() }

  func relativePaths(_ discovery: ClipDiscovery) -> [String] { discovery.clips.map(\.relativePath) }

  func testWalksNestedFoldersWithSpacesAndUnicode() throws {
    try folder.write("clips/a.mp4", "x")
    try folder.write("clips/deep/er/b.MOV", "xy")
    try folder.write("clips/with space/c d.mkv")
    try folder.write("clips/Ünïcødé/日本語 クリップ.webm")
    try folder.write("clips/notes.txt")
    try folder.write("clips/noextension")
    try folder.write("clips/.hidden.mp4")
    try folder.write("clips/.hidden folder/e.mp4")
    let discovery = try ClipFinder().find(in: [folder.path + "/clips/"])
    XCTAssertEqual(
      relativePaths(discovery),
      ["a.mp4", "deep/er/b.MOV", "with space/c d.mkv", "Ünïcødé/日本語 クリップ.webm"])
    XCTAssertEqual(discovery.clips[1].source, folder.path + "/clips/deep/er/b.MOV")
    XCTAssertEqual(discovery.clips[1].size, 2)
    XCTAssertEqual(discovery.warnings, [])
  }

  func testCutsSymbolicLinkLoopsAndFollowsLinks() throws {
    try folder.write("clips/a/x.mp4")
    try folder.write("elsewhere/y.mp4")
    try folder.link("clips/a/back", to: "..")  // clips/a/back -> clips: a loop
    try folder.link("clips/self", to: ".")
    try folder.link("clips/other", to: folder.path + "/elsewhere")
    try folder.link("clips/linked.mp4", to: folder.path + "/elsewhere/y.mp4")
    try folder.link("clips/dangling.mp4", to: folder.path + "/nowhere.mp4")
    let discovery = try ClipFinder().find(in: [folder.path + "/clips"])
    XCTAssertEqual(relativePaths(discovery), ["a/x.mp4", "dangling.mp4", "linked.mp4", "other/y.mp4"])
    XCTAssertEqual(discovery.warnings.count, 2, "\(discovery.warnings)")
    XCTAssertTrue(discovery.warnings.allSatisfy { $0.contains("symbolic link loop") })
  }

  func testExtensionsIncludeAndExclude() throws {
    for name in ["a/keep.mp4", "a/skip.mp4", "b/keep.avi", "b/other.ts", "c.m4v"] { try folder.write("clips/" + name) }
    let finder = ClipFinder(
      extensions: ClipFinder.parseExtensions(" MP4,.avi ,m4v,"), include: ["a/*", "b/*"], exclude: ["*skip*"])
    XCTAssertEqual(relativePaths(try finder.find(in: [folder.path + "/clips"])), ["a/keep.mp4", "b/keep.avi"])
    XCTAssertEqual(ClipFinder.parseExtensions("mp4, .MKV,,"), ["mp4", "mkv"])
    XCTAssertTrue(ClipFinder.matches("*.mp4", "deep/down/x.mp4"))
    XCTAssertFalse(ClipFinder.matches("a/*.mp4", "b/x.mp4"))
  }

  func testFileRootMissingRootAndCollisions() throws {
    let file = try folder.write("one/clip.mp4")
    try folder.write("two/clip.mp4")
    XCTAssertEqual(relativePaths(try ClipFinder().find(in: [file])), ["clip.mp4"])
    XCTAssertThrowsError(try ClipFinder().find(in: [folder.path + "/missing"])) { error in
      XCTAssertTrue("\(error)".contains("missing"), "\(error)")
    }
    XCTAssertThrowsError(try ClipFinder().find(in: [folder.path + "/one", folder.path + "/two"])) { error in
      XCTAssertTrue("\(error)".contains("same relative path"), "\(error)")
    }
  }

  func testSkipsTheOutputFolderInsideAWalkedFolder() throws {
    try folder.write("clips/a.mp4")
    try folder.write("clips/out/a.mp4.annotated.mp4")
    let finder = ClipFinder(skippedDirectories: [folder.path + "/clips/out"])
    XCTAssertEqual(relativePaths(try finder.find(in: [folder.path + "/clips"])), ["a.mp4"])
  }
}

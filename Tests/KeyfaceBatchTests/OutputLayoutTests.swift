import XCTest

@testable import KeyfaceBatch

final class OutputLayoutTests: XCTestCase {
  var folder: TemporaryFolder!

  override func setUpWithError() throws { folder = try TemporaryFolder("layout") }
  override func tearDown() { folder.remove() }

  func testMapsRelativePathsToSuffixedOutputs() throws {
    let layout = try OutputLayout(directory: folder.path + "/out/nested")
    let base = layout.directory
    XCTAssertTrue(base.hasPrefix("/") && !base.hasSuffix("/"))
    XCTAssertEqual(try layout.path(for: "a/b.mp4", kind: .jsonl), base + "/a/b.mp4.jsonl")
    XCTAssertEqual(try layout.path(for: "a/b.mp4", kind: .csv), base + "/a/b.mp4.csv")
    XCTAssertEqual(try layout.path(for: "a/b.mp4", kind: .video), base + "/a/b.mp4.annotated.mp4")
    XCTAssertNotEqual(try layout.path(for: "b.mp4", kind: .jsonl), try layout.path(for: "b.mkv", kind: .jsonl))
    XCTAssertEqual(try layout.path(for: "with space/ü.mp4", kind: .jsonl), base + "/with space/ü.mp4.jsonl")
  }

  func testRefusesPathsThatCouldEscape() throws {
    let layout = try OutputLayout(directory: folder.path + "/out")
    for bad in ["../x.mp4", "a/../../x.mp4", "/etc/x.mp4", "a//b.mp4", "./x.mp4", "a/.", "", "..", "a/.."] {
      XCTAssertThrowsError(try layout.path(for: bad, kind: .jsonl), bad)
    }
    XCTAssertNoThrow(try layout.path(for: "..x.mp4", kind: .jsonl))  // a name, not a parent
    XCTAssertThrowsError(try layout.path(named: "a/summary.json"))
  }

  func testRefusesSymbolicLinksLeadingOutOfTheOutputFolder() throws {
    let layout = try OutputLayout(directory: folder.path + "/out")
    try FileManager.default.createDirectory(atPath: folder.path + "/outside", withIntermediateDirectories: true)
    try folder.link("out/escape", to: folder.path + "/outside")
    try folder.link("out/inside", to: layout.directory + "/real")
    try FileManager.default.createDirectory(atPath: layout.directory + "/real", withIntermediateDirectories: true)
    XCTAssertThrowsError(try layout.prepareParent(of: try layout.path(for: "escape/x.mp4", kind: .jsonl)))
    XCTAssertThrowsError(try layout.prepareParent(of: try layout.path(for: "escape/deeper/x.mp4", kind: .jsonl)))
    XCTAssertFalse(folder.exists("outside/deeper"), "a folder was created outside the output folder")
    XCTAssertNoThrow(try layout.prepareParent(of: try layout.path(for: "inside/x.mp4", kind: .jsonl)))
    XCTAssertNoThrow(try layout.prepareParent(of: try layout.path(for: "new/er/x.mp4", kind: .jsonl)))
    XCTAssertTrue(folder.exists("out/new/er"))
    XCTAssertThrowsError(try layout.prepareParent(of: "/tmp/x.jsonl"))
  }

  func testCompleteMeansARegularFile() throws {
    let layout = try OutputLayout(directory: folder.path + "/out")
    let file = try folder.write("out/a.mp4.jsonl", "{}\n")
    try folder.link("out/b.mp4.jsonl", to: file)
    XCTAssertTrue(layout.isComplete(file))
    XCTAssertFalse(layout.isComplete(layout.directory + "/b.mp4.jsonl"))
    XCTAssertFalse(layout.isComplete(layout.directory + "/c.mp4.jsonl"))
  }

  func testOutputFolderThatIsAFileIsAnError() throws {
    let file = try folder.write("file")
    XCTAssertThrowsError(try OutputLayout(directory: file))
  }
}

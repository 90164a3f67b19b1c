import XCTest

@testable import KeyfaceBatch

/// Runs the built `keyface batch` and `keyface run` on clips made in the test: good and bad clips in nested folders
/// with spaces and Unicode, resume, shards, and clips damaged thirty ways.
final class BatchEndToEndTests: XCTestCase {
  var folder: TemporaryFolder!

  override func setUpWithError() throws { folder = try TemporaryFolder("e2e") }
  override func tearDown() { folder.remove() }

  func summaryEntries(_ path: String) throws -> [String: [String: Any]] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    var entries: [String: [String: Any]] = [:]
    for entry in try XCTUnwrap(json["clips"] as? [[String: Any]]) { entries[entry["relativePath"] as! String] = entry }
    return entries
  }

  func testFolderOfGoodAndBadClips() throws {
    let clips = folder.path + "/clips"
    let good = clips + "/good one.mp4"
    try EndToEnd.makeClip(at: good, seconds: 0.6)
    let keyface = try EndToEnd.workingBinary(clip: good, scratch: folder.path)
    try EndToEnd.makeClip(at: clips + "/Ünïcødé ✓/クリップ 2.mkv", seconds: 0.4)
    try EndToEnd.makeClip(at: clips + "/nested/deep/three.mov", seconds: 0.2)
    try folder.write("clips/bad/empty.mp4", "")
    try folder.write("clips/bad/text.mp4", "this is not a video\n")
    let whole = try Data(contentsOf: URL(fileURLWithPath: good))
    try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: clips + "/bad/truncated.mp4"))
    try folder.link("clips/bad/dangling.mp4", to: folder.path + "/no-such-clip.mp4")
    try folder.write("clips/notes.txt", "not a clip")
    let goodClips = ["good one.mp4", "nested/deep/three.mov", "Ünïcødé ✓/クリップ 2.mkv"]
    let badClips = ["bad/dangling.mp4", "bad/empty.mp4", "bad/text.mp4", "bad/truncated.mp4"]

    let out = folder.path + "/out"
    let first = try EndToEnd.run(keyface, ["batch", clips, "--out", out, "--csv"] + EndToEnd.modelArguments, timeout: 300)
    XCTAssertEqual(first.status, 2, first.standardError)
    let expectedFrames = ["good one.mp4": 15, "nested/deep/three.mov": 5, "Ünïcødé ✓/クリップ 2.mkv": 10]
    for clip in goodClips {
      XCTAssertEqual(try EndToEnd.lineCount(out + "/" + clip + ".jsonl"), expectedFrames[clip], clip)
      XCTAssertTrue(folder.exists("out/" + clip + ".csv"), clip)
    }
    XCTAssertEqual(
      folder.allFiles(under: "out"),
      (goodClips.flatMap { [$0 + ".jsonl", $0 + ".csv"] } + ["summary.json"]).sorted(), "stray or missing files")
    let entries = try summaryEntries(out + "/summary.json")
    XCTAssertEqual(Set(entries.keys), Set(goodClips + badClips))
    for clip in goodClips {
      XCTAssertEqual(entries[clip]?["status"] as? String, "ok", clip)
      XCTAssertEqual(entries[clip]?["frames"] as? Int, expectedFrames[clip], clip)
    }
    for clip in badClips {
      XCTAssertEqual(entries[clip]?["status"] as? String, "failed", clip)
      let error = entries[clip]?["error"] as? String ?? ""
      XCTAssertFalse(error.isEmpty || error.contains("\n"), "\(clip): '\(error)'")
    }

    // Resume: the good clips are skipped and untouched, the bad ones tried again.
    let before = try FileManager.default.attributesOfItem(atPath: out + "/good one.mp4.jsonl")[.modificationDate]
    let second = try EndToEnd.run(keyface, ["batch", clips, "--out", out, "--csv", "--resume"] + EndToEnd.modelArguments, timeout: 300)
    XCTAssertEqual(second.status, 2, second.standardError)
    let resumed = try summaryEntries(out + "/summary.json")
    for clip in goodClips { XCTAssertEqual(resumed[clip]?["status"] as? String, "skipped", clip) }
    for clip in badClips { XCTAssertEqual(resumed[clip]?["status"] as? String, "failed", clip) }
    let after = try FileManager.default.attributesOfItem(atPath: out + "/good one.mp4.jsonl")[.modificationDate]
    XCTAssertEqual(before as? Date, after as? Date)

    // Shards: together every output exactly once, each summary only its own clips.
    let sharded = folder.path + "/sharded"
    var seen: [String] = []
    for index in 1...2 {
      let result = try EndToEnd.run(
        keyface,
        ["batch", clips, "--out", sharded, "--shard", "\(index)/2", "--exclude", "bad/*"] + EndToEnd.modelArguments,
        timeout: 300)
      XCTAssertEqual(result.status, 0, result.standardError)
      seen += try summaryEntries(sharded + "/summary.shard-\(index)-of-2.json").keys
    }
    XCTAssertEqual(seen.sorted(), goodClips.sorted())
    XCTAssertEqual(
      folder.allFiles(under: "sharded").filter { $0.hasSuffix(".jsonl") }, goodClips.map { $0 + ".jsonl" }.sorted())

    // Usage errors exit with 1.
    XCTAssertEqual(try EndToEnd.run(keyface, ["batch", clips], timeout: 30).status, 1)
    XCTAssertEqual(try EndToEnd.run(keyface, ["batch", clips, "--out", out, "--shard", "3/2"], timeout: 30).status, 1)
    XCTAssertEqual(try EndToEnd.run(keyface, ["batch", folder.path + "/missing", "--out", out], timeout: 30).status, 1)
  }

  func testInterruptLeavesNoPartialOutputs() throws {
    let clips = folder.path + "/clips"
    try EndToEnd.makeClip(at: clips + "/a.mp4", seconds: 4)
    let keyface = try EndToEnd.workingBinary(clip: clips + "/a.mp4", scratch: folder.path)
    for name in ["b.mp4", "c.mp4", "d.mp4"] {
      try FileManager.default.copyItem(atPath: clips + "/a.mp4", toPath: clips + "/" + name)
    }
    let out = folder.path + "/out"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: keyface)
    process.arguments = ["batch", clips, "--out", out, "--jobs", "2", "--video"] + EndToEnd.modelArguments
    process.standardError = FileHandle.nullDevice
    try process.run()
    usleep(1_500_000)
    process.interrupt()
    let deadline = Date().addingTimeInterval(60)
    while process.isRunning && Date() < deadline { usleep(50_000) }
    XCTAssertFalse(process.isRunning, "keyface batch did not stop after SIGINT")
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 130)
    let files = folder.allFiles(under: "out")
    XCTAssertTrue(files.contains("summary.json"), "\(files)")
    // Whatever finished is whole: every output that exists has its companion.
    for file in files where file.hasSuffix(".jsonl") {
      XCTAssertTrue(files.contains(file.replacingOccurrences(of: ".jsonl", with: ".annotated.mp4")), file)
    }
    XCTAssertFalse(files.contains { $0.hasPrefix(".") || $0.contains("/.") }, "temporary files left: \(files)")
  }
}

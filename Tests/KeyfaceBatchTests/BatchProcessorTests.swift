import XCTest

@testable import KeyfaceBatch

final class BatchProcessorTests: XCTestCase {
  var folder: TemporaryFolder!

  override func setUpWithError() throws { folder = try TemporaryFolder("processor") }
  override func tearDown() { folder.remove() }

  var clips: String { folder.path + "/clips" }
  var out: String { folder.path + "/out" }

  func configuration(
    outputs: Set<OutputKind> = [.jsonl], jobs: Int = 2, resume: Bool = false, shard: Shard = .all
  ) -> BatchConfiguration {
    BatchConfiguration(
      roots: [clips], outputDirectory: out, outputs: outputs, jobs: jobs, threadsPerJob: 3, resume: resume,
      shard: shard)
  }

  func readSummary(_ name: String = "summary.json") throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: out + "/" + name))
    return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  func testGoodAndBadClipsGiveOutputsSummaryAndFailures() throws {
    try folder.write("clips/good.mp4", "ok 5 2")
    try folder.write("clips/nested/deeper/good two.mov", "ok 3 0")
    try folder.write("clips/Ünïcødé ✓/clip.mkv", "ok 2 1")
    try folder.write("clips/bad/broken.mp4", "fail Invalid data found when processing input")
    try folder.write("clips/bad/crash.mp4", "crash")
    try folder.write("clips/bad/hang.mp4", "timeout")
    try folder.write("clips/bad/silent.mp4", "noout")
    try folder.write("clips/bad/garbage.mp4", "badjson")
    let runner = FakeClipRunner()
    let summary = try BatchProcessor(configuration: configuration(outputs: [.jsonl, .csv]), runner: runner).run()

    XCTAssertEqual(runner.ran.count, 8)
    XCTAssertEqual(runner.threads, [3])
    XCTAssertEqual(summary.totals.ok, 3)
    XCTAssertEqual(summary.totals.failed, 5)
    XCTAssertEqual(summary.totals.frames, 10)
    XCTAssertEqual(summary.totals.faces, 12)
    XCTAssertFalse(summary.interrupted)
    // Only the good clips have outputs; no temporary file is left anywhere.
    XCTAssertEqual(
      folder.allFiles(under: "out"),
      [
        "good.mp4.csv", "good.mp4.jsonl", "nested/deeper/good two.mov.csv", "nested/deeper/good two.mov.jsonl",
        "summary.json", "Ünïcødé ✓/clip.mkv.csv", "Ünïcødé ✓/clip.mkv.jsonl",
      ].sorted())
    let lines = try String(contentsOfFile: out + "/good.mp4.jsonl", encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(lines.count, 5)

    let json = try readSummary()
    let entries = try XCTUnwrap(json["clips"] as? [[String: Any]])
    XCTAssertEqual(entries.count, 8)
    var byPath: [String: [String: Any]] = [:]
    for entry in entries { byPath[entry["relativePath"] as! String] = entry }
    for entry in entries {
      XCTAssertEqual(Set(entry.keys), ["source", "relativePath", "status", "frames", "faces", "seconds", "error"])
    }
    XCTAssertEqual(byPath["good.mp4"]?["status"] as? String, "ok")
    XCTAssertEqual(byPath["good.mp4"]?["frames"] as? Int, 5)
    XCTAssertEqual(byPath["good.mp4"]?["faces"] as? Int, 10)
    XCTAssertTrue(byPath["good.mp4"]?["error"] is NSNull)
    XCTAssertEqual(byPath["good.mp4"]?["source"] as? String, clips + "/good.mp4")
    XCTAssertEqual(byPath["bad/broken.mp4"]?["status"] as? String, "failed")
    XCTAssertEqual(byPath["bad/broken.mp4"]?["error"] as? String, "Invalid data found when processing input")
    XCTAssertEqual(byPath["bad/crash.mp4"]?["error"] as? String, "keyface run crashed (signal 11, SIGSEGV)")
    XCTAssertEqual(byPath["bad/hang.mp4"]?["error"] as? String, "timed out after 120 s")
    XCTAssertTrue((byPath["bad/silent.mp4"]?["error"] as? String)?.contains("wrote no") == true)
    XCTAssertTrue((byPath["bad/garbage.mp4"]?["error"] as? String)?.contains("line 1 is not a JSON object") == true)
    let totals = try XCTUnwrap(json["totals"] as? [String: Any])
    XCTAssertEqual(totals["clips"] as? Int, 8)
    XCTAssertEqual(totals["failed"] as? Int, 5)
    XCTAssertEqual(totals["frames"] as? Int, 10)
    XCTAssertEqual(json["interrupted"] as? Bool, false)
    XCTAssertEqual(json["shard"] as? String, "1/1")
    // The table names every failed clip and the totals.
    let table = summary.table()
    XCTAssertTrue(table.contains("broken.mp4: Invalid data"), table)
    XCTAssertTrue(table.contains("8 clips: 3 ok, 5 failed, 0 skipped"), table)
  }

  func testVideoOutputsAreNamedAfterTheClip() throws {
    try folder.write("clips/a/b.mp4", "ok 1 0")
    try folder.write("clips/a/b.mkv", "ok 1 0")
    _ = try BatchProcessor(configuration: configuration(outputs: [.video]), runner: FakeClipRunner()).run()
    XCTAssertEqual(
      folder.allFiles(under: "out"),
      ["a/b.mkv.annotated.mp4", "a/b.mkv.jsonl", "a/b.mp4.annotated.mp4", "a/b.mp4.jsonl", "summary.json"])
  }

  func testResumeSkipsFinishedClipsOnly() throws {
    try folder.write("clips/one.mp4", "ok 4 1")
    try folder.write("clips/two.mp4", "ok 2 0")
    try folder.write("clips/bad.mp4", "fail nope")
    _ = try BatchProcessor(configuration: configuration(), runner: FakeClipRunner()).run()

    try folder.write("clips/three.mp4", "ok 1 0")
    let runner = FakeClipRunner()
    let summary = try BatchProcessor(configuration: configuration(resume: true), runner: runner).run()
    XCTAssertEqual(runner.ran.sorted(), ["bad.mp4", "three.mp4"])
    let one = try XCTUnwrap(summary.clips.first { $0.relativePath == "one.mp4" })
    XCTAssertEqual(one.status, .skipped)
    XCTAssertEqual(one.frames, 4, "frames carried over from the earlier summary")
    XCTAssertEqual(summary.totals.skipped, 2)
    XCTAssertEqual(summary.totals.failed, 1)

    // With --csv, a clip that has only its JSON Lines is not finished.
    let again = FakeClipRunner()
    _ = try BatchProcessor(configuration: configuration(outputs: [.jsonl, .csv], resume: true), runner: again).run()
    XCTAssertEqual(again.ran.sorted(), ["bad.mp4", "one.mp4", "three.mp4", "two.mp4"])
    // Without --resume everything runs again.
    let all = FakeClipRunner()
    _ = try BatchProcessor(configuration: configuration(), runner: all).run()
    XCTAssertEqual(all.ran.count, 4)
  }

  func testShardsTogetherWriteEveryOutputExactlyOnce() throws {
    var names: [String] = []
    for index in 0..<40 {
      let name = "folder \(index % 4)/clip \(index) é.mp4"
      names.append(name + ".jsonl")
      try folder.write("clips/" + name, "ok 1 0")
    }
    var ran: [String] = []
    for index in 1...2 {
      let runner = FakeClipRunner()
      let summary = try BatchProcessor(
        configuration: configuration(shard: try Shard(index: index, count: 2)), runner: runner
      ).run()
      XCTAssertGreaterThan(runner.ran.count, 5)
      XCTAssertEqual(summary.totals.clips, runner.ran.count)
      ran += runner.ran
    }
    XCTAssertEqual(ran.count, 40, "each clip ran once")
    XCTAssertEqual(Set(ran).count, 40)
    XCTAssertEqual(
      folder.allFiles(under: "out"), (names + ["summary.shard-1-of-2.json", "summary.shard-2-of-2.json"]).sorted())
  }

  func testRunsAtMostJobsClipsAtOnce() throws {
    for index in 0..<12 { try folder.write("clips/\(index).mp4", "slow") }
    let runner = FakeClipRunner()
    let summary = try BatchProcessor(configuration: configuration(jobs: 3), runner: runner).run()
    XCTAssertEqual(summary.totals.ok, 12)
    XCTAssertEqual(runner.maxConcurrent, 3)
    let single = FakeClipRunner()
    _ = try BatchProcessor(configuration: configuration(jobs: 1), runner: single).run()
    XCTAssertEqual(single.maxConcurrent, 1)
  }

  func testInterruptionLeavesNoPartialsAndSummarisesWhatFinished() throws {
    try folder.write("clips/a-big-first.mp4", String(repeating: "x", count: 100))  // unknown script: fails
    for index in 0..<6 { try folder.write("clips/wait\(index).mp4", "wait") }
    let stop = StopSignal()
    let runner = FakeClipRunner()
    var started = 0
    let lock = NSLock()
    runner.onStart = { path in
      lock.lock()
      defer { lock.unlock() }
      if path.hasPrefix("wait") { started += 1 }
      if started == 2 { DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { stop.escalate() } }
    }
    let summary = try BatchProcessor(configuration: configuration(jobs: 2), runner: runner, stop: stop).run()
    XCTAssertTrue(summary.interrupted)
    XCTAssertEqual(runner.ran.count, 3, "nothing started after the stop")
    XCTAssertEqual(summary.clips.count, 7)
    XCTAssertEqual(summary.totals.failed, 1)
    XCTAssertEqual(summary.clips.filter { $0.error == "interrupted" }.count, 2)
    XCTAssertEqual(summary.clips.filter { $0.error?.hasPrefix("not started") == true }.count, 4)
    XCTAssertEqual(folder.allFiles(under: "out"), ["summary.json"], "partial outputs were left")
    XCTAssertEqual(try readSummary()["interrupted"] as? Bool, true)
  }

  func testUsageProblemsThrowBeforeAnythingRuns() throws {
    let runner = FakeClipRunner()
    XCTAssertThrowsError(try BatchProcessor(configuration: configuration(), runner: runner).run()) { error in
      XCTAssertTrue("\(error)".contains("clips"), "\(error)")
    }
    try folder.write("file", "")
    try folder.write("clips/a.mp4", "ok 1 0")
    var bad = configuration()
    bad.outputDirectory = folder.path + "/file"
    XCTAssertThrowsError(try BatchProcessor(configuration: bad, runner: runner).run())
    XCTAssertEqual(runner.ran, [])
  }

  func testOutputFolderInsideTheClipsFolderIsNotWalked() throws {
    try folder.write("clips/a.mp4", "ok 1 0")
    var inside = configuration(outputs: [.video])
    inside.outputDirectory = clips + "/out"
    _ = try BatchProcessor(configuration: inside, runner: FakeClipRunner()).run()
    let runner = FakeClipRunner()
    _ = try BatchProcessor(configuration: inside, runner: runner).run()
    XCTAssertEqual(runner.ran, ["a.mp4"], "the annotated output was taken as a clip")
  }

  func testRemovesWorkFoldersOfKilledBatchesOnly() throws {
    try folder.write("clips/a.mp4", "ok 1 0")
    let prefix = BatchProcessor.workFolderPrefix
    // A pid far above any pid_max in use: no such process.
    try folder.write("out/\(prefix)999999999-abc/0/clip.jsonl", "partial")
    try folder.write("out/\(prefix)\(getpid())-def/0/clip.jsonl", "ours")
    try folder.write("out/.keyface-batch-otherhost-999999999-abc/0/clip.jsonl", "another machine's")
    _ = try BatchProcessor(configuration: configuration(), runner: FakeClipRunner()).run()
    XCTAssertFalse(folder.exists("out/\(prefix)999999999-abc"))
    XCTAssertTrue(folder.exists("out/\(prefix)\(getpid())-def"))
    XCTAssertTrue(folder.exists("out/.keyface-batch-otherhost-999999999-abc"))
  }

  func testDefaultsFitTheMachine() {
    XCTAssertEqual(BatchConfiguration.defaultJobs(cores: 2), 2)
    XCTAssertEqual(BatchConfiguration.defaultJobs(cores: 1), 1)
    XCTAssertEqual(BatchConfiguration.defaultJobs(cores: 64), 16)
    XCTAssertEqual(BatchConfiguration.threads(cores: 2, jobs: 2), 1)
    XCTAssertEqual(BatchConfiguration.threads(cores: 8, jobs: 2), 4)
    XCTAssertEqual(BatchConfiguration.threads(cores: 2, jobs: 5), 1)
    XCTAssertEqual(TimeoutPolicy.automatic.limit(for: Clip(source: "", relativePath: "", size: 0)), 120)
    XCTAssertEqual(TimeoutPolicy.automatic.limit(for: Clip(source: "", relativePath: "", size: 10_000_000)), 600)
    XCTAssertNil(TimeoutPolicy.unlimited.limit(for: Clip(source: "", relativePath: "")))
  }

  func testProgressLineText() {
    let progress = BatchProgress(done: 5, total: 20, failed: 1, frames: 500, bytesDone: 100, bytesTotal: 400)
    XCTAssertEqual(
      ProgressLine.render(progress, elapsed: 10), "clips 5/20 (1 failed) · 50.0 frames/s · 0:30 left")
    XCTAssertEqual(
      ProgressLine.render(progress, elapsed: 12, sinceUpdate: 2, elapsedAtUpdate: 10),
      "clips 5/20 (1 failed) · 50.0 frames/s · 0:28 left")
    let start = BatchProgress(done: 0, total: 3, failed: 0, frames: 0, bytesDone: 0, bytesTotal: 9)
    XCTAssertTrue(ProgressLine.render(start, elapsed: 0).hasSuffix("time left unknown"))
    XCTAssertEqual(ProgressLine.clock(3725), "1:02:05")
  }
}

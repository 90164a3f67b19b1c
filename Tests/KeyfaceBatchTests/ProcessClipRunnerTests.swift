import XCTest

@testable import KeyfaceBatch

/// The process runner against a shell script that plays `keyface run`: it parses the same arguments and does what
/// the clip file says (ok, fail, crash, hang, interruptible, stubborn).
final class ProcessClipRunnerTests: XCTestCase {
  var folder: TemporaryFolder!
  var script: String!

  static let fakeKeyface = #"""
    #!/bin/sh
    [ "$1" = run ] || { echo "keyface: expected run, got $1" >&2; exit 64; }
    shift
    jsonl=; csv=; video=; threads=
    while [ $# -gt 0 ]; do
      case "$1" in
        --jsonl) jsonl=$2; shift 2;;
        --csv) csv=$2; shift 2;;
        --video) video=$2; shift 2;;
        --threads) threads=$2; shift 2;;
        --) shift; break;;
        *) shift;;
      esac
    done
    clip=$1
    what=$(cat "$clip" 2>/dev/null) || { echo "keyface: $clip: No such file or directory" >&2; exit 1; }
    case "$what" in
      ok)
        printf '{"frame":0,"faces":[{"id":1}]}\n{"frame":1,"faces":[]}\n' > "$jsonl"
        [ -n "$csv" ] && echo "frame" > "$csv"
        [ -n "$video" ] && echo "video" > "$video"
        exit 0;;
      fail)
        i=0; while [ $i -lt 500 ]; do echo "[h264 @ 0x1234] noise $i" >&2; i=$((i+1)); done
        echo "keyface: $clip: Invalid data found when processing input" >&2
        exit 1;;
      crash) echo partial > "$jsonl"; kill -SEGV $$;;
      hang) echo partial > "$jsonl"; exec sleep 30;;
      interruptible) trap 'exit 130' INT; while :; do sleep 0.05; done;;
      stubborn) trap '' INT; while :; do sleep 0.05; done;;
      *) echo "keyface: $clip: unknown" >&2; exit 3;;
    esac
    """#

  override func setUpWithError() throws {
    folder = try TemporaryFolder("process")
    script = try folder.write("fake-keyface", ProcessClipRunnerTests.fakeKeyface)
    chmod(script, 0o755)
  }

  override func tearDown() { folder.remove() }

  func job(_ what: String, timeout: TimeInterval? = 10) throws -> ClipJob {
    let clip = try folder.write("clips/\(what).mp4", what)
    try FileManager.default.createDirectory(atPath: folder.path + "/work", withIntermediateDirectories: true)
    return ClipJob(
      clip: Clip(source: clip, relativePath: "\(what).mp4"),
      outputs: [.jsonl: folder.path + "/work/clip.jsonl", .csv: folder.path + "/work/clip.csv"], threads: 2,
      timeout: timeout, logPath: folder.path + "/work/stderr.log")
  }

  func testArgumentsPutTheClipAfterTheTerminator() throws {
    var job = try job("ok")
    job.clip.source = "-weird.mp4"
    let runner = ProcessClipRunner(executable: "/bin/keyface", extraArguments: ["--model", "m.safetensors"])
    XCTAssertEqual(
      runner.arguments(for: job),
      [
        "run", "--jsonl", folder.path + "/work/clip.jsonl", "--csv", folder.path + "/work/clip.csv",
        "--threads", "2", "--model", "m.safetensors", "--", "-weird.mp4",
      ])
  }

  func testOutcomes() throws {
    let runner = ProcessClipRunner(executable: script)
    let stop = StopSignal()
    XCTAssertEqual(runner.run(try job("ok"), stop: stop), .succeeded)
    XCTAssertEqual(try FrameCount(jsonLinesAt: folder.path + "/work/clip.jsonl"), FrameCount(frames: 2, faces: 1))
    XCTAssertEqual(runner.run(try job("fail"), stop: stop), .failed("Invalid data found when processing input"))
    XCTAssertEqual(runner.run(try job("crash"), stop: stop), .crashed(signal: SIGSEGV))
    XCTAssertEqual(runner.run(try job("other"), stop: stop), .failed("unknown"))
    let started = Date()
    XCTAssertEqual(runner.run(try job("hang", timeout: 0.5), stop: stop), .timedOut(0.5))
    XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    let missing = ProcessClipRunner(executable: folder.path + "/no-such-keyface")
    guard case .failed(let reason) = missing.run(try job("ok"), stop: stop) else { return XCTFail("launched nothing") }
    XCTAssertTrue(reason.contains("cannot start"), reason)
  }

  func testStopAsksThenKills() throws {
    let runner = ProcessClipRunner(executable: script)
    let gentle = StopSignal()
    DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { gentle.escalate() }
    XCTAssertEqual(runner.run(try job("interruptible", timeout: 20), stop: gentle), .interrupted)

    let firm = StopSignal()
    DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { firm.escalate() }
    DispatchQueue.global().asyncAfter(deadline: .now() + 0.8) { firm.escalate() }
    let started = Date()
    XCTAssertEqual(runner.run(try job("stubborn", timeout: 20), stop: firm), .interrupted)
    XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    XCTAssertEqual(firm.level, .kill)
  }

  func testBatchThroughChildProcesses() throws {
    for (name, what) in [("a/good.mp4", "ok"), ("b c/bad é.mp4", "fail"), ("crash.mp4", "crash"), ("hang.mp4", "hang")] {
      try folder.write("clips/" + name, what)
    }
    let configuration = BatchConfiguration(
      roots: [folder.path + "/clips"], outputDirectory: folder.path + "/out", outputs: [.jsonl, .csv, .video],
      jobs: 2, timeout: .seconds(1))
    let summary = try BatchProcessor(configuration: configuration, runner: ProcessClipRunner(executable: script)).run()
    XCTAssertEqual(summary.totals.ok, 1)
    XCTAssertEqual(summary.totals.failed, 3)
    let errors = Dictionary(uniqueKeysWithValues: summary.clips.map { ($0.relativePath, $0.error ?? "") })
    XCTAssertEqual(errors["b c/bad é.mp4"], "Invalid data found when processing input")
    XCTAssertEqual(errors["crash.mp4"], "keyface run crashed (signal 11, SIGSEGV)")
    XCTAssertEqual(errors["hang.mp4"], "timed out after 1 s")
    XCTAssertEqual(
      folder.allFiles(under: "out"),
      ["a/good.mp4.annotated.mp4", "a/good.mp4.csv", "a/good.mp4.jsonl", "summary.json"])
  }
}

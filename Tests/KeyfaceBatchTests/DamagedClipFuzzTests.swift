import XCTest

@testable import KeyfaceBatch

/// Damages a real clip thirty ways (truncated at random offsets, bytes overwritten, seeded) and checks that
/// neither `keyface run` nor `keyface batch` crashes or hangs on them.
final class DamagedClipFuzzTests: XCTestCase {
  /// SplitMix64: a small seeded generator, so the damage is the same on every run.
  struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9e37_79b9_7f4a_7c15
      var z = state
      z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
      z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
      return z ^ (z >> 31)
    }
  }

  /// Thirty damaged copies of `clip`: 12 truncated, 12 with 1–64 random bytes overwritten anywhere, 6 with bytes
  /// overwritten in the first kilobyte, where the container's headers are.
  static func damagedCopies(of original: Data, seed: UInt64) -> [(name: String, data: Data)] {
    var random = SplitMix64(state: seed)
    var copies: [(String, Data)] = []
    for index in 0..<30 {
      var data = original
      if index < 12 {
        let offset = Int.random(in: 0..<original.count, using: &random)
        data = original.prefix(offset)
        copies.append(("truncated-\(index)-at-\(offset).mp4", data))
      } else {
        let headerOnly = index >= 24
        for _ in 0..<Int.random(in: 1...64, using: &random) {
          let limit = headerOnly ? min(1024, data.count) : data.count
          data[Int.random(in: 0..<limit, using: &random)] = UInt8.random(in: 0...255, using: &random)
        }
        copies.append(("\(headerOnly ? "header" : "bytes")-\(index).mp4", data))
      }
    }
    return copies
  }

  func testDamageIsSeededAndVaried() {
    let original = Data((0..<4000).map { UInt8($0 % 251) })
    let first = DamagedClipFuzzTests.damagedCopies(of: original, seed: 7)
    let second = DamagedClipFuzzTests.damagedCopies(of: original, seed: 7)
    XCTAssertEqual(first.map(\.data), second.map(\.data))
    XCTAssertEqual(first.count, 30)
    XCTAssertEqual(Set(first.map(\.data)).count, 30, "two damaged copies are the same")
    XCTAssertFalse(first.contains { $0.data == original })
  }

  func testDamagedClipsNeitherCrashNorHang() throws {
    let folder = try TemporaryFolder("fuzz")
    defer { folder.remove() }
    let original = folder.path + "/original.mp4"
    // faststart puts the index first, so a cut file still opens and the decoder meets the missing data.
    try EndToEnd.makeClip(at: original, seconds: 0.4, extraArguments: ["-movflags", "+faststart"])
    let keyface = try EndToEnd.workingBinary(clip: original, scratch: folder.path)
    let copies = DamagedClipFuzzTests.damagedCopies(
      of: try Data(contentsOf: URL(fileURLWithPath: original)), seed: 0x6b65_7966_6163_65)
    try FileManager.default.createDirectory(atPath: folder.path + "/damaged", withIntermediateDirectories: true)
    for copy in copies { try copy.data.write(to: URL(fileURLWithPath: folder.path + "/damaged/" + copy.name)) }

    // `keyface run` directly on every third copy (truncated, overwritten and header damage alike), two at a time,
    // through the batch's own process runner, which tells a crash (a signal) and a hang (the watchdog) apart from
    // a refusal. The batch below runs `keyface run` children on all thirty and reports the same per clip; the split
    // keeps the test near 30 s on an idle machine with a debug build.
    let direct = Array(stride(from: 0, to: copies.count, by: 3))
    let runner = ProcessClipRunner(executable: keyface, extraArguments: EndToEnd.modelArguments)
    let outcomes = LockedOutcomes()
    DispatchQueue.concurrentPerform(iterations: direct.count) { position in
      let index = direct[position]
      let work = folder.path + "/work-\(index)"
      try? FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
      let job = ClipJob(
        clip: Clip(source: folder.path + "/damaged/" + copies[index].name, relativePath: copies[index].name),
        outputs: [.jsonl: work + "/clip.jsonl"], threads: 1, timeout: 30, logPath: work + "/stderr.log")
      outcomes.set(position, runner.run(job, stop: StopSignal()))
    }
    for (position, outcome) in outcomes.all.enumerated() {
      let name = copies[direct[position]].name
      switch outcome {
      case .crashed(let signal): XCTFail("keyface run crashed (signal \(signal)) on \(name)")
      case .timedOut: XCTFail("keyface run hung on \(name)")
      case .failed(let reason): XCTAssertFalse(reason.isEmpty || reason.contains("no message"), "\(name): \(reason)")
      case .succeeded, .interrupted: break
      }
    }

    let result = try EndToEnd.run(
      keyface,
      ["batch", folder.path + "/damaged", "--out", folder.path + "/out", "--timeout", "30"] + EndToEnd.modelArguments,
      timeout: 120)
    XCTAssertFalse(result.signalled || result.timedOut, "keyface batch crashed or hung: \(result.standardError)")
    XCTAssertTrue([0, 2].contains(result.status), result.standardError)
    let data = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/summary.json"))
    let summary = try JSONDecoder().decode(BatchSummary.self, from: data)
    XCTAssertEqual(summary.clips.count, 30)
    for clip in summary.clips {
      XCTAssertFalse(clip.error?.contains("crashed") ?? false, "\(clip.relativePath): \(clip.error ?? "")")
      XCTAssertFalse(clip.error?.contains("timed out") ?? false, "\(clip.relativePath): \(clip.error ?? "")")
      if clip.status == .ok {
        XCTAssertEqual(try EndToEnd.lineCount(folder.path + "/out/" + clip.relativePath + ".jsonl"), clip.frames)
      }
    }
  }
}

/// Outcomes filled in from several threads.
final class LockedOutcomes: @unchecked Sendable {
  private let lock = NSLock()
  private var outcomes: [Int: ClipRunOutcome] = [:]

  func set(_ index: Int, _ outcome: ClipRunOutcome) {
    lock.lock()
    outcomes[index] = outcome
    lock.unlock()
  }

  var all: [ClipRunOutcome] {
    lock.lock()
    defer { lock.unlock() }
    return outcomes.keys.sorted().map { outcomes[$0]! }
  }
}

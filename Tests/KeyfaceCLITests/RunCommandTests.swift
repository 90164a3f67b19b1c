// End-to-end tests of `keyface run`: the built binary on clips the tests encode with the ffmpeg CLI.
import Foundation
import KeyfaceMedia
import KeyfaceNN
import XCTest

final class RunCommandTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyface-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    guard FileManager.default.isExecutableFile(atPath: KeyfaceProcess.binary.path) else {
      XCTFail("keyface binary not found at \(KeyfaceProcess.binary.path)")
      return
    }
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: directory)
  }

  func run(_ arguments: [String], stdin: URL? = nil) throws -> KeyfaceRun {
    try KeyfaceProcess.run(["run"] + arguments + KeyfaceProcess.modelArguments, in: directory, stdin: stdin)
  }

  /// Waits (at most a minute) until `file` holds `count` lines.
  func waitForLines(in file: URL, count: Int) {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
      let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
      if text.split(separator: "\n").count >= count { return }
      usleep(20_000)
    }
  }

  func objects(_ lines: [Substring]) throws -> [[String: Any]] {
    try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
  }

  /// A model whose shape does not fit what `run` feeds, or a refinement model given as --model (or the other way
  /// round), is one line naming the file and a failure exit, not a crash.
  func testModelsOfTheWrongShapeAreRefusedWithOneLine() throws {
    let clip = try KeyfaceProcess.makeClip("clip.mp4", in: directory, frames: 3)
    var colour = Architecture.keyface
    colour.inputChannels = 3
    var short = Architecture.keyface
    short.layers[short.layers.count - 1] = .linear(out: 9)
    short.outputCount = 9
    let cases: [(String, Architecture, String, String)] = [
      ("colour.safetensors", colour, "--model", "3 channels"),
      ("short.safetensors", short, "--model", "predicts 9 numbers"),
      ("patches.safetensors", .keyfacePatches, "--model", "refinement network"),
      ("frames.safetensors", .keyface, "--patch-model", "not a refinement"),
    ]
    for (name, architecture, option, problem) in cases {
      let file = directory.appendingPathComponent(name)
      try Network(architecture: architecture, seed: 1).save(to: file)
      let result = try KeyfaceProcess.run(["run", clip.path, option, file.path], in: directory)
      XCTAssertEqual(result.status, 1, name)
      let lines = result.stderr.split(separator: "\n")
      XCTAssertEqual(lines.count, 1, result.stderr)
      XCTAssertTrue(result.stderr.contains(name) && result.stderr.contains(problem), result.stderr)
    }
  }

  func testOneLinePerFrameInOrder() throws {
    let clip = try KeyfaceProcess.makeClip("clip.mp4", in: directory, frames: 30)
    let result = try run([clip.path])
    XCTAssertEqual(result.status, 0, result.stderr)
    let lines = try objects(result.lines)
    XCTAssertEqual(lines.count, 30)
    XCTAssertEqual(lines.map { $0["frame"] as? Int }, Array(0..<30))
    for (i, line) in lines.enumerated() {
      XCTAssertEqual(line["source"] as? String, clip.path)
      XCTAssertEqual(line["time"] as! Double, Double(i) / 25, accuracy: 1e-6)
      XCTAssertEqual(line["width"] as? Int, 160)
      XCTAssertEqual(line["height"] as? Int, 120)
      XCTAssertNotNil(line["faces"] as? [Any])
    }
  }

  func testStandardInputGivesTheSameLines() throws {
    let clip = try KeyfaceProcess.makeClip("clip.mkv", in: directory, frames: 20)
    let fromFile = try run([clip.path])
    let fromPipe = try run(["-"], stdin: clip)
    XCTAssertEqual(fromPipe.status, 0, fromPipe.stderr)
    XCTAssertEqual(fromPipe.lines.count, 20)
    let expected = fromFile.stdout.replacingOccurrences(of: "\"source\":\"\(clip.path)\"", with: "\"source\":\"-\"")
    XCTAssertEqual(fromPipe.stdout, expected)
  }

  func testFullFrameWritesAFaceWithAllKeypointsAndCSV() throws {
    let clip = try KeyfaceProcess.makeClip("clip.mp4", in: directory, frames: 5)
    let csv = directory.appendingPathComponent("out.csv")
    let result = try run([clip.path, "--full-frame", "--jsonl", "-", "--csv", csv.path])
    XCTAssertEqual(result.status, 0, result.stderr)
    let lines = try objects(result.lines)
    XCTAssertEqual(lines.count, 5)
    for line in lines {
      let faces = line["faces"] as! [[String: Any]]
      XCTAssertEqual(faces.count, 1)
      XCTAssertEqual(faces[0]["id"] as? Int, 0)
      XCTAssertEqual((faces[0]["keypoints"] as! [String: Any]).count, 15)
      XCTAssertEqual(faces[0]["box"] as! [Double], [0, 0, 160, 120])
      let score = faces[0]["score"] as! Double
      XCTAssertTrue((0...1).contains(score))
    }
    let rows = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(rows.count, 1 + 5)
    XCTAssertTrue(rows[0].hasPrefix("source,frame,time,id,score,left_eye_center_x,left_eye_center_y,"))
    XCTAssertEqual(rows[1].split(separator: ",").count, 35)
    XCTAssertTrue(rows[3].hasPrefix("\(clip.path),2,0.08,0,"))
  }

  func testMissingFileIsOneLineErrorAndNonZeroExit() throws {
    let missing = directory.appendingPathComponent("nope.mp4").path
    let result = try run([missing])
    XCTAssertNotEqual(result.status, 0)
    XCTAssertEqual(result.stdout, "")
    let errors = result.stderr.split(separator: "\n")
    XCTAssertEqual(errors.count, 1, result.stderr)
    XCTAssertTrue(errors.first?.hasPrefix("keyface: \(missing): ") ?? false, result.stderr)
  }

  func testNotAVideoAndOtherInputsGoOn() throws {
    let text = directory.appendingPathComponent("notes.mp4")
    try Data("this is not a video\n".utf8).write(to: text)
    let clip = try KeyfaceProcess.makeClip("clip.mp4", in: directory, frames: 4)
    let result = try run([text.path, clip.path])
    XCTAssertEqual(result.status, 1)
    XCTAssertEqual(result.lines.count, 4)
    let errors = result.stderr.split(separator: "\n")
    XCTAssertEqual(errors.count, 1, result.stderr)
    XCTAssertTrue(errors[0].hasPrefix("keyface: \(text.path): "), result.stderr)
  }

  func testBadOptionCombinationsAreRejected() throws {
    let clip = try KeyfaceProcess.makeClip("clip.mp4", in: directory, frames: 2)
    for arguments in [
      [clip.path, clip.path, "--video", "out.mp4"], [clip.path, "--max-faces", "0"], [clip.path, "--draw", "box"],
      [clip.path, "--video", "o.mp4", "--draw", "boxes"], [clip.path, "--crf", "99", "--video", "o.mp4"],
      [clip.path, "--refine", "on", "--model", clip.path], [clip.path, "--refine", "always"],
    ] {
      let result = try run(arguments)
      XCTAssertNotEqual(result.status, 0, "\(arguments)")
      XCTAssertEqual(result.stdout, "")
      XCTAssertTrue(result.stderr.contains("Error"), result.stderr)
    }
  }

  /// Outputs renamed into place refuse a destination that is a folder or device (renaming would replace it),
  /// before any work starts.
  func testOutputsThatAreNotRegularFilesAreRefused() throws {
    let folder = directory.appendingPathComponent("a-folder.safetensors")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for arguments in [
      ["train", "--data", "missing.csv", "--out", folder.path],
      ["predict", "--data", "t.csv", "--lookup", "l.csv", "--out", "/dev/null"],
      ["eval", "--data", "t.csv", "--sheet", folder.path + ".png"],
    ] {
      if arguments[0] == "eval" {
        try FileManager.default.createDirectory(atPath: folder.path + ".png", withIntermediateDirectories: true)
      }
      let result = try KeyfaceProcess.run(arguments, in: directory)
      XCTAssertEqual(result.status, 1, "\(arguments)")
      XCTAssertTrue(result.stderr.contains("not a regular file"), result.stderr)
    }
    var info = stat()
    XCTAssertEqual(stat("/dev/null", &info), 0)
    XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR, "/dev/null is still a device")
  }

  func testAnnotatedVideoHasEveryFrame() throws {
    let clip = try KeyfaceProcess.makeClip("clip.mp4", in: directory, frames: 30, size: "320x240")
    let out = directory.appendingPathComponent("annotated.mp4")
    let jsonl = directory.appendingPathComponent("out.jsonl")
    let result = try run([clip.path, "--full-frame", "--video", out.path, "--jsonl", jsonl.path, "--draw", "box,id,labels"])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(result.stdout, "")
    XCTAssertEqual(try String(contentsOf: jsonl, encoding: .utf8).split(separator: "\n").count, 30)
    let reader = try VideoReader(path: out.path)
    XCTAssertEqual(reader.width, 320)
    XCTAssertEqual(reader.height, 240)
    var frames = 0
    var times: [Double] = []
    while let frame = try reader.nextFrame() {
      frames += 1
      times.append(frame.time)
    }
    XCTAssertEqual(frames, 30)
    XCTAssertEqual(times.last ?? 0, 29.0 / 25, accuracy: 1e-3)
    // No temporary files are left behind.
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(".") }
    XCTAssertEqual(leftovers, [])
  }

  func testStillImageToAnnotatedImage() throws {
    let still = KeyfaceProcess.packageRoot.appendingPathComponent("samples/astronaut.jpg")
    guard FileManager.default.fileExists(atPath: still.path) else { throw XCTSkip("samples/astronaut.jpg missing") }
    let out = directory.appendingPathComponent("annotated.png")
    let result = try run([still.path, "--video", out.path])
    XCTAssertEqual(result.status, 0, result.stderr)
    let image = try ImageFile.readGray(path: out.path)
    XCTAssertEqual(image.width, 384)
    XCTAssertEqual(image.height, 384)
  }

  func testThePortraitHasOneFaceWhereTheDetectorSeesIt() throws {
    // The photo path end to end: thorough search, close-up search, passes, the averaged last pass. A large false
    // box around the face (the close-up search finds one on this portrait) must not push out the face itself.
    let still = KeyfaceProcess.packageRoot.appendingPathComponent("samples/astronaut.jpg")
    guard FileManager.default.fileExists(atPath: still.path) else { throw XCTSkip("samples/astronaut.jpg missing") }
    let result = try run([still.path])
    XCTAssertEqual(result.status, 0, result.stderr)
    let faces = try XCTUnwrap(try objects(result.lines).first?["faces"] as? [[String: Any]])
    XCTAssertEqual(faces.count, 1)
    let box = try XCTUnwrap(faces.first?["box"] as? [Double])
    // OpenCV finds the face at (132, 49), 72 px wide.
    XCTAssertEqual(box[0] + box[2] / 2, 168, accuracy: 10, "\(box)")
    XCTAssertEqual(box[2], 72, accuracy: 20, "\(box)")
    let points = try XCTUnwrap(faces.first?["keypoints"] as? [String: [Double]])
    let eye = try XCTUnwrap(points["left_eye_center"])
    XCTAssertTrue(eye[0] > 168 && eye[0] < 204 && eye[1] > 49 && eye[1] < 121, "\(eye)")
  }

  func testInterruptFinishesTheVideoAndExits130() throws {
    let out = directory.appendingPathComponent("annotated.mp4")
    let lines = try stopped(by: SIGINT, status: 130, after: 40, extra: ["--video", out.path])
    // The video is finished properly: it decodes to its end, with about the frames done.
    let reader = try VideoReader(path: out.path)
    var frames = 0
    while try reader.nextFrame() != nil { frames += 1 }
    XCTAssertGreaterThan(frames, 0)
    XCTAssertLessThanOrEqual(frames, lines.count)
  }

  /// SIGTERM (how schedulers stop a task) stops `run` as Ctrl-C does, with 143, and the lines written stay whole.
  func testTerminateStopsWith143() throws {
    _ = try stopped(by: SIGTERM, status: 143, after: 20)
  }

  /// Runs keyface on a long clip, sends `signal` once `after` lines are out, and checks the exit `status` and that
  /// every line written is whole; returns the lines.
  func stopped(by signal: Int32, status: Int32, after count: Int, extra: [String] = []) throws -> [Substring] {
    let clip = try KeyfaceProcess.makeClip("long.mp4", in: directory, frames: 3000, size: "320x240")
    let (process, stdout, _) = try KeyfaceProcess.start(
      ["run", clip.path, "--jsonl", "-"] + extra + KeyfaceProcess.modelArguments, in: directory)
    waitForLines(in: stdout, count: count)
    kill(process.processIdentifier, signal)
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, status)
    let lines = try String(contentsOf: stdout, encoding: .utf8).split(separator: "\n")
    XCTAssertGreaterThanOrEqual(lines.count, count)
    XCTAssertLessThan(lines.count, 3000)
    for line in lines { XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(line.utf8))) }
    return lines
  }

  /// A transport stream whose audio starts only in its second part (two .ts files one after the other): the
  /// annotated video is still written with every frame, the late audio left out, instead of failing at its header.
  func testAudioThatStartsLateInATransportStreamDoesNotLoseTheVideo() throws {
    let first = try KeyfaceProcess.makeClip("a.ts", in: directory, frames: 200, extra: ["-c:v", "libx264"])
    let second = try KeyfaceProcess.makeClip(
      "b.ts", in: directory, frames: 50,
      extra: ["-f", "lavfi", "-i", "sine=frequency=440", "-c:a", "aac", "-shortest", "-c:v", "libx264"])
    let joined = directory.appendingPathComponent("late.ts")
    try (Data(contentsOf: first) + Data(contentsOf: second)).write(to: joined)
    let out = directory.appendingPathComponent("annotated.mp4")
    let result = try run([joined.path, "--full-frame", "--video", out.path])
    XCTAssertEqual(result.status, 0, result.stderr)
    let reader = try VideoReader(path: out.path)
    var frames = 0
    while try reader.nextFrame() != nil { frames += 1 }
    XCTAssertEqual(frames, 250)
  }

  func testFirstLinesComeOutBeforeTheInputEnds() throws {
    // An intra-only clip fed through a pipe in two halves: lines for the first half must appear before the
    // second half is written.
    let clip = try KeyfaceProcess.makeClip("clip.mkv", in: directory, frames: 60, extra: ["-c:v", "mjpeg"])
    let bytes = try Data(contentsOf: clip)
    let out = directory.appendingPathComponent("stream.jsonl")
    FileManager.default.createFile(atPath: out.path, contents: nil)
    let pipe = Pipe()
    let process = Process()
    process.executableURL = KeyfaceProcess.binary
    process.arguments = ["run", "-", "--full-frame"] + KeyfaceProcess.modelArguments
    process.standardInput = pipe
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = FileHandle.nullDevice
    try process.run()
    pipe.fileHandleForWriting.write(bytes.prefix(bytes.count / 2))
    var early = 0
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline {
      early = ((try? String(contentsOf: out, encoding: .utf8)) ?? "").split(separator: "\n").count
      if early > 0 { break }
      usleep(20_000)
    }
    XCTAssertGreaterThan(early, 0, "no line before the end of the input")
    XCTAssertLessThan(early, 60)
    pipe.fileHandleForWriting.write(bytes.suffix(from: bytes.count / 2))
    try pipe.fileHandleForWriting.close()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0)
    let lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(lines.count, 60)
  }
}

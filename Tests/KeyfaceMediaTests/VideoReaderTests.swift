import Foundation
import XCTest

@testable import KeyfaceMedia

final class VideoReaderTests: XCTestCase {
  private func readAll(_ reader: VideoReader) throws -> [DecodedFrame] {
    var frames: [DecodedFrame] = []
    while let frame = try reader.nextFrame() { frames.append(frame) }
    return frames
  }

  private func assertTimes(
    _ frames: [DecodedFrame], match expected: [Double], file: StaticString = #filePath,
    line: UInt = #line
  ) {
    XCTAssertEqual(frames.count, expected.count, "frame count", file: file, line: line)
    for (frame, time) in zip(frames, expected) {
      XCTAssertEqual(
        frame.time, time, accuracy: 0.0000011, "frame \(frame.index)", file: file, line: line)
    }
    XCTAssertEqual(frames.map(\.index), Array(0..<frames.count), file: file, line: line)
  }

  func testFrameCountAndTimesMatchFFprobe() throws {
    let dir = try temporaryFolder(self)
    let clip = dir.appendingPathComponent("clip.mp4").path
    try ffmpeg(
      "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "1.2", "-c:v", "libx264",
      "-pix_fmt", "yuv420p", clip)
    let reader = try VideoReader(path: clip)
    XCTAssertEqual(reader.width, 320)
    XCTAssertEqual(reader.height, 240)
    XCTAssertEqual(reader.rotation, 0)
    XCTAssertFalse(reader.isStillImage)
    XCTAssertEqual(reader.frameRate ?? 0, 25, accuracy: 0.01)
    XCTAssertEqual(reader.duration ?? 0, 1.2, accuracy: 0.05)
    let frames = try readAll(reader)
    XCTAssertEqual(frames.count, 30)
    assertTimes(frames, match: try ffprobeFrameTimes(clip))
    XCTAssertNil(try reader.nextFrame(), "stays at the end")
    XCTAssertEqual(frames[0].gray.width, 320)
    XCTAssertEqual(frames[0].gray.pixels.count, 320 * 240)
    XCTAssertNil(frames[0].color)
  }

  func testGrayMatchesFFmpegLuma() throws {
    let dir = try temporaryFolder(self)
    let clip = dir.appendingPathComponent("clip.mkv").path
    let raw = dir.appendingPathComponent("clip.gray").path
    try ffmpeg(
      "-f", "lavfi", "-i", "testsrc2=size=176x144:rate=10", "-t", "0.5", "-c:v", "libx264",
      "-pix_fmt", "yuv420p", clip)
    try ffmpeg("-i", clip, "-f", "rawvideo", "-pix_fmt", "gray", raw)
    let expected = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
    let frames = try readAll(try VideoReader(path: clip))
    XCTAssertEqual(frames.count, 5)
    XCTAssertEqual(differences(frames.flatMap(\.gray.pixels), expected), 0)
  }

  /// Pixel formats without a plain 8-bit luma plane go through swscale: 10-bit 4:2:0 and full-range 4:2:2 JPEG.
  func testOtherPixelFormatsGoThroughSwscale() throws {
    let dir = try temporaryFolder(self)
    for (name, codec, format) in [
      ("ten.mkv", "ffv1", "yuv420p10le"), ("jpeg.avi", "mjpeg", "yuvj422p"),
    ] {
      let clip = dir.appendingPathComponent(name).path
      try ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10", "-t", "0.3", "-c:v", codec, "-pix_fmt",
        format, clip)
      let raw = dir.appendingPathComponent(name + ".gray").path
      try ffmpeg("-i", clip, "-f", "rawvideo", "-pix_fmt", "gray", raw)
      let expected = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
      let frames = try readAll(try VideoReader(path: clip, wantColor: true))
      XCTAssertEqual(frames.count, 3, name)
      let gray = frames.flatMap(\.gray.pixels)
      XCTAssertEqual(gray.count, expected.count, name)
      let worst = zip(gray, expected).map { abs(Int($0) - Int($1)) }.max() ?? 255
      XCTAssertLessThanOrEqual(worst, 2, name)
      // Colour comes out as limited-range yuv420p whatever the source.
      let color = try XCTUnwrap(frames.first?.color)
      XCTAssertEqual(color.u.count, 48 * 32)
      XCTAssertGreaterThanOrEqual(color.y.min() ?? 0, 16, name)
      XCTAssertLessThanOrEqual(color.y.max() ?? 255, 235, name)
    }
  }

  func testVariableFrameRateTimesAreKept() throws {
    let dir = try temporaryFolder(self)
    let clip = dir.appendingPathComponent("vfr.mkv").path
    // Irregular gaps: 40 ms, then 100 ms from frame 10, then 15 ms from frame 20.
    try ffmpeg(
      "-f", "lavfi", "-t", "1.2", "-i", "testsrc2=size=160x120:rate=25",
      "-vf",
      "settb=1/1000,setpts='(if(lt(N,10),N*0.04,if(lt(N,20),0.4+(N-10)*0.1,1.4+(N-20)*0.015)))/TB'",
      "-vsync", "passthrough", "-enc_time_base", "1/1000", "-c:v", "libx264", clip)
    let frames = try readAll(try VideoReader(path: clip))
    let expected = try ffprobeFrameTimes(clip)
    assertTimes(frames, match: expected)
    XCTAssertEqual(frames.count, 30)
    guard frames.count == 30 else { return }
    XCTAssertEqual(frames[11].time - frames[10].time, 0.1, accuracy: 0.0011)
    XCTAssertEqual(frames[22].time - frames[21].time, 0.015, accuracy: 0.0011)
  }

  func testNonZeroStartTime() throws {
    let dir = try temporaryFolder(self)
    let clip = dir.appendingPathComponent("late.ts").path
    try ffmpeg(
      "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-t", "0.4", "-output_ts_offset", "7.5",
      "-c:v", "libx264", clip)
    let frames = try readAll(try VideoReader(path: clip))
    assertTimes(frames, match: try ffprobeFrameTimes(clip))
    XCTAssertGreaterThan(frames[0].time, 7.5)
  }

  /// A 160x120 picture with a white 40x30 box in its top-left corner, tagged with `rotate=<degrees>`.
  ///
  /// FFmpeg 5.1 turns the tag into a display matrix of `degrees` counterclockwise (ffprobe shows
  /// `rotation=<degrees>`), which players, and ffmpeg itself, undo by turning the picture `360 - degrees` clockwise.
  private func rotatedClip(_ degrees: Int, in dir: URL) throws -> String {
    let plain = dir.appendingPathComponent("plain.mp4").path
    let tagged = dir.appendingPathComponent("rotated\(degrees).mp4").path
    try ffmpeg(
      "-f", "lavfi", "-i", "color=black:size=160x120:rate=10", "-t", "0.3",
      "-vf", "drawbox=x=0:y=0:w=40:h=30:color=white:t=fill", "-c:v", "libx264", "-pix_fmt",
      "yuv420p", plain)
    try ffmpeg("-i", plain, "-c", "copy", "-metadata:s:v", "rotate=\(degrees)", tagged)
    return tagged
  }

  func testRotationMetadataIsApplied() throws {
    let dir = try temporaryFolder(self)
    // Where the top-left box of the coded picture appears once displayed.
    let corners: [Int: (x: Int, y: Int)] = [
      0: (20, 15), 90: (104, 20), 180: (140, 105), 270: (15, 140),
    ]
    for tag in [90, 180, 270] {
      let clip = try rotatedClip(tag, in: dir)
      let reader = try VideoReader(path: clip, wantColor: true)
      let degrees = (360 - tag) % 360
      XCTAssertEqual(reader.rotation, degrees)
      let swapped = degrees != 180
      XCTAssertEqual(reader.width, swapped ? 120 : 160)
      XCTAssertEqual(reader.height, swapped ? 160 : 120)
      let frames = try readAll(reader)
      XCTAssertEqual(frames.count, 3)
      let gray = frames[0].gray
      XCTAssertEqual(gray.width, reader.width)
      let box = corners[degrees]!
      XCTAssertGreaterThan(gray[box.x, box.y], 200, "box at \(box) for \(degrees)")
      XCTAssertLessThan(gray[gray.width - 1 - box.x, gray.height - 1 - box.y], 40)
      // FFmpeg's CLI rotates by default: its grey frames must be ours byte for byte.
      let raw = dir.appendingPathComponent("r\(tag).gray").path
      try ffmpeg("-i", clip, "-f", "rawvideo", "-pix_fmt", "gray", raw)
      XCTAssertEqual(
        differences(
          frames.flatMap(\.gray.pixels), [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))),
        0)
      let color = try XCTUnwrap(frames[0].color)
      XCTAssertEqual(color.width, gray.width)
      XCTAssertEqual(color.y.count, gray.pixels.count)
      XCTAssertEqual(color.y[box.y * color.width + box.x], 235, "limited-range white")
      XCTAssertEqual(color.u.count, color.chromaWidth * color.chromaHeight)
    }
  }

  /// Display matrices that mirror: FFmpeg 5.1's command line cannot write them, so the test writes the matrix
  /// into the MP4 track header itself. Frames come out as FFmpeg 7's command line shows them (see `orientation`).
  func testMirroringDisplayMatricesAreApplied() throws {
    let dir = try temporaryFolder(self)
    let plain = dir.appendingPathComponent("plain.mp4").path
    try ffmpeg(
      "-f", "lavfi", "-i", "color=black:size=160x120:rate=10", "-t", "0.3",
      "-vf", "drawbox=x=0:y=0:w=40:h=30:color=white:t=fill", "-c:v", "libx264", "-pix_fmt", "yuv420p", plain)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: plain))
    let tkhd = try XCTUnwrap(bytes.range(of: Data("tkhd".utf8))).lowerBound
    XCTAssertEqual(bytes[tkhd + 4], 0, "version 0 track header")
    let matrixOffset = tkhd + 4 + 4 + 20 + 16  // type, version and flags, times, id and duration, layer to volume
    let one: Int32 = 1 << 16
    // (a, b, c, d) of the 16.16 matrix; the displayed size, and where the coded top-left box shows.
    let cases: [(name: String, abcd: [Int32], rotation: Int, size: (Int, Int), box: (Int, Int))] = [
      ("hflip", [-one, 0, 0, one], 0, (160, 120), (140, 15)),
      ("vflip", [one, 0, 0, -one], 180, (160, 120), (20, 105)),
      ("transpose", [0, one, one, 0], 90, (120, 160), (15, 20)),
      ("antitranspose", [0, -one, -one, 0], 270, (120, 160), (104, 139)),
    ]
    for test in cases {
      var patched = bytes
      let matrix: [Int32] = [test.abcd[0], test.abcd[1], 0, test.abcd[2], test.abcd[3], 0, 0, 0, 1 << 30]
      for (i, value) in matrix.enumerated() {
        withUnsafeBytes(of: value.bigEndian) { patched.replaceSubrange((matrixOffset + 4 * i)..<(matrixOffset + 4 * i + 4), with: $0) }
      }
      let clip = dir.appendingPathComponent("\(test.name).mp4")
      try patched.write(to: clip)
      let reader = try VideoReader(path: clip.path, wantColor: true)
      XCTAssertEqual(reader.rotation, test.rotation, test.name)
      XCTAssertTrue(reader.mirrored, test.name)
      XCTAssertEqual(reader.width, test.size.0, test.name)
      XCTAssertEqual(reader.height, test.size.1, test.name)
      let frame = try XCTUnwrap(try reader.nextFrame())
      let (x, y) = test.box
      XCTAssertGreaterThan(frame.gray[x, y], 200, "\(test.name): box at \(test.box)")
      // The other three corners are dark.
      for (cx, cy) in [(x, frame.gray.height - 1 - y), (frame.gray.width - 1 - x, y), (frame.gray.width - 1 - x, frame.gray.height - 1 - y)] {
        XCTAssertLessThan(frame.gray[cx, cy], 40, "\(test.name): corner \(cx), \(cy)")
      }
      let color = try XCTUnwrap(frame.color)
      XCTAssertEqual(color.y[y * color.width + x], 235, "\(test.name): limited-range white in the colour picture")
    }
  }

  func testStandardInputThroughAPipe() throws {
    let dir = try temporaryFolder(self)
    let clip = dir.appendingPathComponent("stream.mkv").path
    try ffmpeg(
      "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-t", "1", "-c:v", "libx264", clip)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: clip))
    let pipe = Pipe()
    let writer = Thread {
      pipe.fileHandleForWriting.write(bytes)
      try? pipe.fileHandleForWriting.close()
    }
    writer.start()
    let piped = try readAll(
      try VideoReader(
        fileDescriptor: pipe.fileHandleForReading.fileDescriptor, name: "-", threads: 2))
    let direct = try readAll(try VideoReader(path: clip))
    XCTAssertEqual(piped.count, 25)
    XCTAssertEqual(piped.map(\.time), direct.map(\.time))
    XCTAssertEqual(differences(piped.flatMap(\.gray.pixels), direct.flatMap(\.gray.pixels)), 0)
  }

  func testMoovAtEndFromAPipeFailsClearly() throws {
    let dir = try temporaryFolder(self)
    let clip = dir.appendingPathComponent("late-moov.mp4").path
    // Big enough (about 2 MB of noise) that the media cannot sit in libavformat's probe buffer.
    try ffmpeg(
      "-f", "lavfi", "-i", "nullsrc=size=320x240:rate=25,geq=random(1)*255:128:128", "-t", "2",
      "-c:v", "libx264",
      "-qp", "10", clip)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: clip))
    XCTAssertGreaterThan(bytes.count, 1_500_000)
    let pipe = Pipe()
    let writer = Thread {
      pipe.fileHandleForWriting.write(bytes)
      try? pipe.fileHandleForWriting.close()
    }
    writer.start()
    defer { try? pipe.fileHandleForReading.close() }
    do {
      let reader = try VideoReader(
        fileDescriptor: pipe.fileHandleForReading.fileDescriptor, name: "-")
      while try reader.nextFrame() != nil {}
      XCTFail("an mp4 with its index at the end cannot stream")
    } catch let error as MediaError {
      XCTAssertTrue(
        error.description.hasPrefix("-: cannot read an mp4 or mov file with its index at the end"),
        error.description)
    }
    // Drain what the writer thread still has to push, so it can finish.
    _ = pipe.fileHandleForReading.readDataToEndOfFile()
  }

  func testStillImages() throws {
    let dir = try temporaryFolder(self)
    let png = dir.appendingPathComponent("still.png").path
    try ffmpeg(
      "-f", "lavfi", "-i", "testsrc2=size=200x100", "-frames:v", "1", "-pix_fmt", "rgb24", png)
    let reader = try VideoReader(path: png, wantColor: true)
    XCTAssertTrue(reader.isStillImage)
    let frames = try readAll(reader)
    XCTAssertEqual(frames.count, 1)
    XCTAssertEqual(frames[0].time, 0)
    XCTAssertEqual(frames[0].gray.width, 200)
    XCTAssertEqual(frames[0].gray.height, 100)
    XCTAssertEqual(frames[0].color?.width, 200)

    let raw = dir.appendingPathComponent("still.gray").path
    try ffmpeg("-i", png, "-f", "rawvideo", "-pix_fmt", "gray", raw)
    let expected = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
    let gray = try ImageFile.readGray(path: png)
    XCTAssertEqual(gray.pixels.count, expected.count)
    let worst = zip(gray.pixels, expected).map { abs(Int($0) - Int($1)) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst, 2)

    let jpeg = samplesFolder.appendingPathComponent("astronaut.jpg").path
    let photo = try VideoReader(path: jpeg)
    XCTAssertTrue(photo.isStillImage)
    XCTAssertEqual(try readAll(photo).map(\.time), [0])
    XCTAssertEqual(try ImageFile.readGray(path: jpeg).width, 384)
  }

  func testSampleClip() throws {
    let clip = samplesFolder.appendingPathComponent("astronaut.mp4").path
    let frames = try readAll(try VideoReader(path: clip))
    XCTAssertEqual(frames.count, 100)
    assertTimes(frames, match: try ffprobeFrameTimes(clip))
  }

  private func assertFails(
    _ path: String, containing text: String, file: StaticString = #filePath, line: UInt = #line
  ) {
    do {
      let reader = try VideoReader(path: path)
      while try reader.nextFrame() != nil {}
      XCTFail("\(path) should not decode", file: file, line: line)
    } catch let error as MediaError {
      XCTAssertEqual(error.path, path, file: file, line: line)
      XCTAssertTrue(
        error.description.hasPrefix(path + ": "), error.description, file: file, line: line)
      XCTAssertTrue(error.message.contains(text), error.description, file: file, line: line)
      XCTAssertFalse(error.description.contains("\n"), file: file, line: line)
    } catch {
      XCTFail("unexpected \(error)", file: file, line: line)
    }
  }

  func testBadInputsNameTheFile() throws {
    let dir = try temporaryFolder(self)
    assertFails(dir.appendingPathComponent("missing.mp4").path, containing: "No such file")
    let text = dir.appendingPathComponent("notes.txt")
    try Data("just some words\nnot a video\n".utf8).write(to: text)
    assertFails(text.path, containing: "not a video or image file")
    let empty = dir.appendingPathComponent("empty.mp4")
    try Data().write(to: empty)
    assertFails(empty.path, containing: "not a video or image file")
    // An mp4 cut before its index.
    let clip = dir.appendingPathComponent("whole.mp4").path
    try ffmpeg(
      "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-t", "1", "-c:v", "libx264", clip)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: clip))
    let truncated = dir.appendingPathComponent("truncated.mp4")
    try bytes.prefix(bytes.count / 2).write(to: truncated)
    assertFails(truncated.path, containing: "not a video or image file")
    let audio = dir.appendingPathComponent("audio.m4a").path
    try ffmpeg("-f", "lavfi", "-i", "sine=duration=0.3", "-c:a", "aac", audio)
    assertFails(audio, containing: "no video stream")
  }

  func testTruncatedMP4WithIndexFirstFailsAfterItsFrames() throws {
    let dir = try temporaryFolder(self)
    let clip = dir.appendingPathComponent("whole.mp4").path
    try ffmpeg(
      "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-t", "2", "-c:v", "libx264",
      "-movflags", "+faststart", clip)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: clip))
    let truncated = dir.appendingPathComponent("cut.mp4")
    try bytes.prefix(bytes.count * 2 / 3).write(to: truncated)
    let reader = try VideoReader(path: truncated.path)
    var count = 0
    do {
      while try reader.nextFrame() != nil { count += 1 }
      XCTFail("a truncated file must end with an error")
    } catch let error as MediaError {
      XCTAssertTrue(
        error.description.hasPrefix(truncated.path + ": the file is truncated"), error.description)
    }
    XCTAssertGreaterThan(count, 10, "the frames before the cut still come out")
    XCTAssertNil(try reader.nextFrame())
  }

  func testTruncatedStreamEndsEarlyWithoutError() throws {
    let dir = try temporaryFolder(self)
    let clip = dir.appendingPathComponent("whole.mkv").path
    try ffmpeg(
      "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-t", "2", "-c:v", "libx264", clip)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: clip))
    let truncated = dir.appendingPathComponent("truncated.mkv")
    try bytes.prefix(bytes.count / 2).write(to: truncated)
    let frames = try readAll(try VideoReader(path: truncated.path))
    XCTAssertGreaterThan(frames.count, 5)
    XCTAssertLessThan(frames.count, 50)
  }

  func testCorruptBytesMidStreamAreSkippedWithOneWarning() throws {
    let dir = try temporaryFolder(self)
    let clip = dir.appendingPathComponent("clean.ts").path
    try ffmpeg(
      "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2", "-c:v", "libx264", "-g",
      "10", clip)
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: clip)))
    // Scribble over a stretch in the middle: headers and payload of a few transport packets.
    var seed: UInt32 = 12345
    for i in (bytes.count / 2)..<(bytes.count / 2 + 4000) {
      seed = seed &* 1_103_515_245 &+ 12345
      bytes[i] = UInt8(truncatingIfNeeded: seed >> 16)
    }
    let corrupt = dir.appendingPathComponent("corrupt.ts")
    try Data(bytes).write(to: corrupt)
    let reader = try VideoReader(path: corrupt.path)
    var warnings: [String] = []
    reader.onWarning = { warnings.append($0) }
    let frames = try readAll(reader)
    XCTAssertGreaterThan(frames.count, 30)
    XCTAssertEqual(warnings.count, 1, "\(warnings)")
    XCTAssertTrue(
      warnings.first?.hasPrefix(corrupt.path + ": skipped corrupt data at ") ?? false, "\(warnings)"
    )
  }
}

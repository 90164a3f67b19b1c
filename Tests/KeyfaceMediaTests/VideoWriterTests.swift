import Foundation
import XCTest

@testable import KeyfaceMedia

final class VideoWriterTests: XCTestCase {
  /// A 2 s 320x240 clip with a 440 Hz AAC track and a title, the source whose streams get copied.
  private func sourceWithAudio(in dir: URL, name: String = "source.mp4", extra: [String] = [])
    throws -> String
  {
    let path = dir.appendingPathComponent(name).path
    try runTool(
      "ffmpeg",
      [
        "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f",
        "lavfi", "-i",
        "sine=frequency=440:sample_rate=48000", "-t", "2", "-c:v", "libx264", "-c:a", "aac",
        "-metadata", "title=Keyface test",
      ] + extra + [path])
    return path
  }

  /// Picture `i` of a test sequence: flat grey whose level encodes `i`, with a dark square moving right.
  private func picture(_ i: Int, width: Int = 320, height: Int = 240) -> YUVImage {
    var image = YUVImage(width: width, height: height, fill: UInt8(40 + 5 * i))
    for y in 100..<140 { for x in (10 * i)..<(10 * i + 40) { image.y[y * width + x] = 16 } }
    return image
  }

  /// Irregular times from 0.5 s: gaps of 40, 40, 100, 15, 40, ... ms.
  private let times: [Double] = {
    let gaps = [0.04, 0.04, 0.1, 0.015, 0.04, 0.033]
    var t = 0.5
    return (0..<30).map { i in
      defer { t += gaps[i % gaps.count] }
      return t
    }
  }()

  private func files(in dir: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
  }

  func testRoundTripKeepsFramesTimesAndAudio() throws {
    let dir = try temporaryFolder(self)
    let source = try sourceWithAudio(in: dir)
    let output = dir.appendingPathComponent("out.mp4").path
    let writer = try VideoWriter(
      path: output, width: 320, height: 240, frameRate: 25, copyingStreamsFrom: source)
    XCTAssertEqual(writer.codecName, "libx264")
    for (i, time) in times.enumerated() { try writer.write(picture(i), time: time) }
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: output), "only the temporary file exists while writing"
    )
    XCTAssertEqual(try files(in: dir).filter { $0.hasPrefix(".out.mp4.partial-") }.count, 1)
    try writer.finish()
    XCTAssertEqual(try files(in: dir), ["out.mp4", "source.mp4"])

    let reader = try VideoReader(path: output)
    XCTAssertEqual(reader.width, 320)
    XCTAssertEqual(reader.rotation, 0)
    var frames: [DecodedFrame] = []
    while let frame = try reader.nextFrame() { frames.append(frame) }
    XCTAssertEqual(frames.count, 30)
    for (frame, time) in zip(frames, times) {
      XCTAssertEqual(frame.time, time, accuracy: 0.001, "frame \(frame.index)")
      // The flat level survives the codec (limited-range Y 40 + 5i, seen as full-range grey).
      let expected = Double(PlaneRotation.limitedToFullRange[40 + 5 * frame.index])
      XCTAssertEqual(Double(frame.gray[300, 20]), expected, accuracy: 4, "frame \(frame.index)")
      XCTAssertLessThan(
        frame.gray[10 * frame.index + 20, 120], 30, "moving square of frame \(frame.index)")
    }
    let streams = try ffprobeStreams(output, "stream=codec_type,codec_name")
    XCTAssertEqual(streams, ["h264,video", "aac,audio"])
    let audioDuration = try XCTUnwrap(
      Double(try ffprobeStreams(output, "stream=duration").last ?? ""))
    XCTAssertEqual(audioDuration, 2, accuracy: 0.05, "the whole audio track is copied")
    let title = try runTool(
      "ffprobe", ["-v", "error", "-show_entries", "format_tags=title", "-of", "csv=p=0", output])
    XCTAssertEqual(title.trimmingCharacters(in: .whitespacesAndNewlines), "Keyface test")
    // faststart: the index comes before the media.
    let bytes = try Data(contentsOf: URL(fileURLWithPath: output))
    let moov = try XCTUnwrap(bytes.range(of: Data("moov".utf8))).lowerBound
    let mdat = try XCTUnwrap(bytes.range(of: Data("mdat".utf8))).lowerBound
    XCTAssertLessThan(moov, mdat)
  }

  func testInterruptedRunStopsTheAudioWithTheVideo() throws {
    let dir = try temporaryFolder(self)
    let source = try sourceWithAudio(in: dir)
    let output = dir.appendingPathComponent("cut.mkv").path
    let writer = try VideoWriter(
      path: output, width: 320, height: 240, frameRate: 25, copyingStreamsFrom: source)
    for i in 0..<10 { try writer.write(picture(i), time: Double(i) * 0.04) }
    try writer.finish(copyingRestOfStreams: false)
    XCTAssertEqual(try ffprobeFrameTimes(output).count, 10)
    let audioPackets = try runTool(
      "ffprobe",
      [
        "-v", "error", "-select_streams", "a:0", "-show_entries", "packet=pts_time", "-of",
        "csv=p=0", output,
      ])
    let last = try XCTUnwrap(
      audioPackets.split(whereSeparator: \.isNewline).compactMap { Double($0) }.max())
    XCTAssertLessThan(last, 0.45)
    XCTAssertGreaterThan(last, 0.3)
  }

  func testRotatedSourceGivesNoRotationFlag() throws {
    let dir = try temporaryFolder(self)
    let plain = try sourceWithAudio(in: dir)
    let rotated = dir.appendingPathComponent("rotated.mp4").path
    try ffmpeg("-i", plain, "-c", "copy", "-metadata:s:v", "rotate=90", rotated)
    XCTAssertEqual(try VideoReader(path: rotated).rotation, 270)
    let output = dir.appendingPathComponent("upright.mov").path
    let writer = try VideoWriter(
      path: output, width: 240, height: 320, frameRate: 25, copyingStreamsFrom: rotated)
    for i in 0..<5 {
      try writer.write(YUVImage(width: 240, height: 320, fill: 100), time: Double(i) / 25)
    }
    try writer.finish()
    let reader = try VideoReader(path: output)
    XCTAssertEqual(reader.rotation, 0)
    XCTAssertEqual(reader.width, 240)
    XCTAssertEqual(reader.height, 320)
    let sideData = try runTool("ffprobe", ["-v", "error", "-show_streams", output])
    XCTAssertFalse(sideData.contains("Display Matrix"))
  }

  func testWithoutSourceAndOddSize() throws {
    let dir = try temporaryFolder(self)
    let output = dir.appendingPathComponent("odd.mkv").path
    let writer = try VideoWriter(
      path: output, width: 161, height: 121, frameRate: nil, copyingStreamsFrom: nil)
    for i in 0..<8 {
      try writer.write(
        YUVImage(width: 161, height: 121, fill: UInt8(30 + 20 * i)), time: 1 + Double(i) * 0.1)
    }
    try writer.finish()
    let reader = try VideoReader(path: output)
    XCTAssertEqual(reader.width, 160)
    XCTAssertEqual(reader.height, 120)
    var times: [Double] = []
    while let frame = try reader.nextFrame() { times.append(frame.time) }
    XCTAssertEqual(times.count, 8)
    for (i, t) in times.enumerated() { XCTAssertEqual(t, 1 + Double(i) * 0.1, accuracy: 0.001) }
    XCTAssertEqual(try ffprobeStreams(output, "stream=codec_type"), ["video"])
  }

  func testAbortAndAbandonLeaveNoFile() throws {
    let dir = try temporaryFolder(self)
    let source = try sourceWithAudio(in: dir)
    let aborted = dir.appendingPathComponent("aborted.mp4").path
    let writer = try VideoWriter(
      path: aborted, width: 320, height: 240, frameRate: 25, copyingStreamsFrom: source)
    for i in 0..<5 { try writer.write(picture(i), time: Double(i) / 25) }
    writer.abort()
    XCTAssertThrowsError(try writer.write(picture(0), time: 1))
    XCTAssertEqual(try files(in: dir), ["source.mp4"])
    do {
      let abandoned = try VideoWriter(
        path: dir.appendingPathComponent("abandoned.mkv").path, width: 320, height: 240,
        frameRate: 25,
        copyingStreamsFrom: nil)
      try abandoned.write(picture(1), time: 0)
    }
    XCTAssertEqual(try files(in: dir), ["source.mp4"])
  }

  func testErrorsNameTheFile() throws {
    let dir = try temporaryFolder(self)
    let nowhere = dir.appendingPathComponent("missing-folder/out.mp4").path
    XCTAssertThrowsError(
      try VideoWriter(path: nowhere, width: 64, height: 64, frameRate: 25, copyingStreamsFrom: nil)
    ) {
      XCTAssertTrue("\($0)".hasPrefix(nowhere + ": cannot create the file"), "\($0)")
    }
    let unknown = dir.appendingPathComponent("out.xyz").path
    XCTAssertThrowsError(
      try VideoWriter(path: unknown, width: 64, height: 64, frameRate: 25, copyingStreamsFrom: nil)
    ) {
      XCTAssertTrue("\($0)".hasPrefix(unknown + ": unknown video container"), "\($0)")
    }
    let missingSource = dir.appendingPathComponent("nope.mp4").path
    XCTAssertThrowsError(
      try VideoWriter(
        path: dir.appendingPathComponent("o.mp4").path, width: 64, height: 64, frameRate: 25,
        copyingStreamsFrom: missingSource)
    ) {
      XCTAssertTrue("\($0)".hasPrefix(missingSource + ": cannot open"), "\($0)")
    }
    let writer = try VideoWriter(
      path: dir.appendingPathComponent("size.mkv").path, width: 64, height: 64, frameRate: 25,
      copyingStreamsFrom: nil)
    XCTAssertThrowsError(try writer.write(YUVImage(width: 32, height: 32), time: 0)) {
      XCTAssertTrue("\($0)".contains("picture is 32x32, the video is 64x64"), "\($0)")
    }
    writer.abort()
    XCTAssertEqual(try files(in: dir), [])
  }
}

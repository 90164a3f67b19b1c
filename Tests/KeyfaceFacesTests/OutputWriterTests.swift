import Dispatch
import Foundation
import KeyfaceMedia
import KeyfaceNN
import XCTest

@testable import KeyfaceDetection
@testable import KeyfaceFaces

final class OutputWriterTests: XCTestCase {
  func sampleResult(frame: Int, faces: Int, source: String = "clip \"one\".mp4") -> FrameResult {
    let face = FaceResult(
      id: 3, score: 0.97351, box: FaceBox(x: 10.005, y: -2.5, width: 100, height: 100.125),
      keypoints: (0..<15).map { SIMD2(Float($0) + 0.25, 200 - Float($0) * 1.5) })
    return FrameResult(
      source: source, frame: frame, time: 0.8516666666, width: 640, height: 360,
      faces: Array(repeating: face, count: faces))
  }

  func testNumbersAreCompact() {
    func text(_ v: Double, _ d: Int) -> String {
      var out: [UInt8] = []
      TextFormatting.appendNumber(v, decimals: d, to: &out)
      return String(decoding: out, as: UTF8.self)
    }
    XCTAssertEqual(text(12.5, 2), "12.5")
    XCTAssertEqual(text(3, 2), "3")
    XCTAssertEqual(text(-0.25, 2), "-0.25")
    XCTAssertEqual(text(-0.001, 2), "0")
    XCTAssertEqual(text(0.033333333, 6), "0.033333")
    XCTAssertEqual(text(1234.999, 2), "1235")
    XCTAssertEqual(text(.nan, 2), "null")
  }

  func testJSONLineSchema() throws {
    let line = JSONLinesWriter.line(for: sampleResult(frame: 7, faces: 1))
    XCTAssertTrue(line.hasSuffix("}\n"))
    XCTAssertEqual(line.filter { $0 == "\n" }.count, 1)
    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
    XCTAssertEqual(object["source"] as? String, "clip \"one\".mp4")
    XCTAssertEqual(object["frame"] as? Int, 7)
    XCTAssertEqual(object["time"] as? Double, 0.851667)
    XCTAssertEqual(object["width"] as? Int, 640)
    XCTAssertEqual(object["height"] as? Int, 360)
    let faces = object["faces"] as! [[String: Any]]
    XCTAssertEqual(faces.count, 1)
    XCTAssertEqual(faces[0]["id"] as? Int, 3)
    XCTAssertEqual(faces[0]["score"] as? Double, 0.974)
    XCTAssertEqual(faces[0]["box"] as? [Double], [10.01, -2.5, 100, 100.13])
    let keypoints = faces[0]["keypoints"] as! [String: [Double]]
    XCTAssertEqual(Set(keypoints.keys), Set(Keypoints.names))
    XCTAssertEqual(keypoints["left_eye_center"], [0.25, 200])
    XCTAssertEqual(keypoints["mouth_center_bottom_lip"], [14.25, 179])
    // Keys come in Kaggle's order.
    let order = Keypoints.names.map { line.range(of: "\"\($0)\"")!.lowerBound }
    XCTAssertEqual(order, order.sorted())
  }

  func testEmptyFrameAndControlCharacters() throws {
    let line = JSONLinesWriter.line(for: sampleResult(frame: 0, faces: 0, source: "a\\b\nc\u{1}.mp4"))
    XCTAssertTrue(line.contains("\"faces\":[]"))
    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
    XCTAssertEqual(object["source"] as? String, "a\\b\nc\u{1}.mp4")
  }

  func testFileIsWrittenAtomicallyAndLinesInOrder() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keyface-out-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("out.jsonl").path
    let writer = try JSONLinesWriter(path: path)
    let frame = DecodedFrame(index: 0, time: 0, gray: GrayImage(width: 2, height: 2), color: nil)
    for i in 0..<5 { try writer.write(sampleResult(frame: i, faces: i % 2), frame: frame) }
    // Not under its name before it is finished, but the temporary is there.
    XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).count, 1)
    try writer.finish()
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(lines.count, 5)
    for (i, line) in lines.enumerated() {
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
      XCTAssertEqual(object["frame"] as? Int, i)
    }
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["out.jsonl"])
  }

  func testAbortLeavesNoFile() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keyface-out-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let writer = try CSVWriter(path: dir.appendingPathComponent("out.csv").path)
    writer.abort()
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    XCTAssertThrowsError(try JSONLinesWriter(path: dir.appendingPathComponent("no/such/dir.jsonl").path)) { error in
      XCTAssertTrue("\(error)".contains("no/such/dir.jsonl: cannot create file"))
    }
  }

  func testCSVHeaderAndRows() throws {
    let header = CSVWriter.header.dropLast().split(separator: ",").map(String.init)
    XCTAssertEqual(header.count, 5 + 30)
    XCTAssertEqual(Array(header.prefix(7)), ["source", "frame", "time", "id", "score", "left_eye_center_x", "left_eye_center_y"])
    XCTAssertEqual(header.last, "mouth_center_bottom_lip_y")
    var out: [UInt8] = []
    CSVWriter.encode(sampleResult(frame: 4, faces: 2, source: "a,b.mp4"), into: &out)
    let rows = String(decoding: out, as: UTF8.self).split(separator: "\n")
    XCTAssertEqual(rows.count, 2)
    XCTAssertTrue(rows[0].hasPrefix("\"a,b.mp4\",4,0.851667,3,0.974,0.25,200,1.25,198.5,"))
    XCTAssertEqual(rows[0].split(separator: ",").count, 35 + 1)  // the quoted comma splits once more
    out = []
    CSVWriter.encode(sampleResult(frame: 5, faces: 0), into: &out)
    XCTAssertTrue(out.isEmpty)
  }

  func testPipesAndDevicesAreWrittenInPlace() throws {
    // Renaming a temporary onto /dev/null or a FIFO would replace it with a plain file: write in place instead.
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keyface-out-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let fifo = dir.appendingPathComponent("lines.fifo").path
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    let received = LockedValue(Data())
    let done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
      if let handle = FileHandle(forReadingAtPath: fifo) {
        received.withLock { $0 = handle.readDataToEndOfFile() }
      }
      done.signal()
    }
    let writer = try JSONLinesWriter(path: fifo)
    let frame = DecodedFrame(index: 0, time: 0, gray: GrayImage(width: 2, height: 2), color: nil)
    try writer.write(sampleResult(frame: 0, faces: 1), frame: frame)
    try writer.finish()
    XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
    XCTAssertEqual(String(decoding: received.current, as: UTF8.self), JSONLinesWriter.line(for: sampleResult(frame: 0, faces: 1)))
    let type = try FileManager.default.attributesOfItem(atPath: fifo)[.type] as? FileAttributeType
    XCTAssertNotEqual(type, .typeRegular)
    XCTAssertNotNil(type)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["lines.fifo"])
    // An annotated video never goes to a device.
    let sink = AnnotatedVideoSink(path: fifo)
    XCTAssertThrowsError(try sink.begin(SourceInfo(name: "a.mp4", width: 64, height: 48, frameRate: 25)))
  }
}

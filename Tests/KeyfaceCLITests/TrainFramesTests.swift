// End-to-end tests of `keyface train --frames`: a landmark table and images made by the test.
import Foundation
import XCTest

final class TrainFramesTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyface-frames-\(UUID().uuidString)")
    try FileManager.default.createDirectory(
      at: directory.appendingPathComponent("images"), withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: directory)
  }

  /// Two faces: frames from FFmpeg's test pattern, 68 points whose 15 keypoints are the crop keypoints scaled by
  /// 1.5 and shifted, and a Kaggle CSV with those crop keypoints. Returns (training CSV, landmark table).
  private func makeData(alignedRows: Bool = true) throws -> (String, String) {
    let crop: [(Float, Float)] = (0..<15).map { (k: Int) -> (Float, Float) in
      (20 + Float(k % 5) * 12, 25 + Float(k / 5) * 20)
    }
    // Each of the 15 keypoints from its 68-point indices (Kaggle's order); other points are never read.
    let sources: [[Int]] = [
      Array(42...47), Array(36...41), [42], [45], [39], [36], [22], [26], [21], [17], [30], [54], [48], [51], [57],
    ]
    let names = [
      "left_eye_center", "right_eye_center", "left_eye_inner_corner", "left_eye_outer_corner", "right_eye_inner_corner",
      "right_eye_outer_corner", "left_eyebrow_inner_end", "left_eyebrow_outer_end", "right_eyebrow_inner_end",
      "right_eyebrow_outer_end", "nose_tip", "mouth_left_corner", "mouth_right_corner", "mouth_center_top_lip",
      "mouth_center_bottom_lip",
    ]
    var trainingCSV = names.map { "\($0)_x,\($0)_y" }.joined(separator: ",") + ",Image\n"
    var table = "image,source,identity," + (0..<68).map { "x\($0),y\($0)" }.joined(separator: ",") + "\n"
    for face in 0..<2 {
      let image = "face\(face).png"
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = [
        "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=200x180", "-frames:v", "1", "-pix_fmt", "gray",
        directory.appendingPathComponent("images/\(image)").path,
      ]
      try process.run()
      process.waitUntilExit()
      guard process.terminationStatus == 0 else { throw XCTSkip("ffmpeg could not make a test image") }
      let shift: (Float, Float) = (20 + Float(face) * 10, 15)
      var points = [(Float, Float)](repeating: (0, 0), count: 68)
      for (k, indices) in sources.enumerated() {
        for i in indices { points[i] = (crop[k].0 * 1.5 + shift.0, crop[k].1 * 1.5 + shift.1) }
      }
      // An eye centre is the mean of six points, two of which are the eye's corners: the other four are placed
      // so that the mean comes out right.
      for (centre, indices, corners) in [(0, Array(42...47), [42, 45]), (1, Array(36...41), [39, 36])] {
        let target = (crop[centre].0 * 1.5 + shift.0, crop[centre].1 * 1.5 + shift.1)
        let cornerSum = corners.reduce((Float(0), Float(0))) { ($0.0 + points[$1].0, $0.1 + points[$1].1) }
        let others = indices.filter { !corners.contains($0) }
        for i in others {
          points[i] = ((6 * target.0 - cornerSum.0) / 4, (6 * target.1 - cornerSum.1) / 4)
        }
      }
      table += "\(image),test,person\(face)," + points.map { "\($0.0),\($0.1)" }.joined(separator: ",") + "\n"
      let pixels = (0..<9216).map { String(($0 * 7 + face) % 256) }.joined(separator: " ")
      trainingCSV += crop.map { "\($0.0),\($0.1)" }.joined(separator: ",") + ",\(pixels)\n"
    }
    if !alignedRows { table = String(table.split(separator: "\n").dropLast().joined(separator: "\n")) + "\n" }
    let data = directory.appendingPathComponent("training.csv")
    let landmarks = directory.appendingPathComponent("landmarks68.csv")
    try trainingCSV.write(to: data, atomically: true, encoding: .utf8)
    try table.write(to: landmarks, atomically: true, encoding: .utf8)
    return (data.path, landmarks.path)
  }

  func testTrainingDrawsCropsFromTheFrames() throws {
    let (data, landmarks) = try makeData()
    let run = try KeyfaceProcess.run(
      [
        "train", "--data", data, "--frames", landmarks, "--out", "m.safetensors", "--epochs", "1", "--val-fraction", "0",
        "--arch", "keyface", "--threads", "1",
      ], in: directory)
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertTrue(run.stderr.contains("crops drawn from the frames"), run.stderr)
    XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("m.safetensors").path))
  }

  /// `--epochs 0 --initial-model` trains nothing: the model is re-measured and recalibrated, keeping the record of
  /// how it was trained; without a model to start from, 0 epochs is a usage error.
  func testZeroEpochsRecalibratesAModel() throws {
    let (data, _) = try makeData()
    let common = ["train", "--data", data, "--val-fraction", "0.5", "--arch", "keyface", "--threads", "1"]
    let trained = try KeyfaceProcess.run(common + ["--out", "m.safetensors", "--epochs", "1"], in: directory)
    XCTAssertEqual(trained.status, 0, trained.stderr)
    let run = try KeyfaceProcess.run(
      common + ["--out", "c.safetensors", "--epochs", "0", "--initial-model", "m.safetensors"], in: directory)
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertTrue(run.stderr.contains("horizontal offset"), run.stderr)
    let file = try Data(contentsOf: directory.appendingPathComponent("c.safetensors"))
    let length = file[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    let header = try JSONSerialization.jsonObject(with: file[8..<(8 + length)]) as? [String: Any]
    let metadata = try XCTUnwrap(header?["__metadata__"] as? [String: String])
    XCTAssertEqual(metadata["epochs"], "1", "the training record is kept")
    XCTAssertEqual(metadata["calibrated_on"], "training.csv")
    XCTAssertNotNil(metadata["horizontal_offset"].flatMap(Float.init))

    let refused = try KeyfaceProcess.run(common + ["--out", "x.safetensors", "--epochs", "0"], in: directory)
    XCTAssertNotEqual(refused.status, 0)
    XCTAssertTrue(refused.stderr.contains("--epochs must be at least 1 (or 0 with --initial-model"), refused.stderr)
  }

  func testMisalignedTableIsAOneLineError() throws {
    let (data, landmarks) = try makeData(alignedRows: false)
    let run = try KeyfaceProcess.run(
      ["train", "--data", data, "--frames", landmarks, "--out", "m.safetensors", "--epochs", "1"], in: directory)
    XCTAssertNotEqual(run.status, 0)
    let lines = run.stderr.split(separator: "\n")
    XCTAssertEqual(lines.count, 1, run.stderr)
    XCTAssertTrue(run.stderr.contains("landmarks68.csv: 1 faces, but the training data has 2"), run.stderr)
  }

  /// `--landmarks` trains the 68 points as an auxiliary task; the saved model keeps the 15 keypoints (and score).
  func testTrainingWithAuxiliaryLandmarks() throws {
    let (data, landmarks) = try makeData()
    let run = try KeyfaceProcess.run(
      [
        "train", "--data", data, "--landmarks", landmarks, "--out", "m.safetensors", "--epochs", "1",
        "--val-fraction", "0", "--arch", "keyface", "--threads", "1",
      ], in: directory)
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertTrue(run.stderr.contains("68 landmarks as an auxiliary task"), run.stderr)
    let file = try Data(contentsOf: directory.appendingPathComponent("m.safetensors"))
    let length = file[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    let header = try XCTUnwrap(try JSONSerialization.jsonObject(with: file[8..<(8 + length)]) as? [String: Any])
    XCTAssertEqual((header["fc2.weight"] as? [String: Any])?["shape"] as? [Int], [31, 512])
    XCTAssertEqual((header["__metadata__"] as? [String: String])?["auxiliary_landmarks"], "landmarks68.csv")
  }

  /// `eval --framing`: 'fitted' moves predictions to self-framed keypoints (another RMSE), 'free' leaves them;
  /// the JSON says which was used.
  func testEvalFraming() throws {
    let (data, _) = try makeData()
    func eval(_ framing: String) throws -> [String: Any] {
      let run = try KeyfaceProcess.run(["eval", "--data", data, "--json", "--framing", framing], in: directory)
      XCTAssertEqual(run.status, 0, run.stderr)
      return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }
    let fitted = try eval("fitted")
    let free = try eval("free")
    XCTAssertEqual(fitted["framing"] as? String, "fitted")
    XCTAssertEqual(free["framing"] as? String, "free")
    XCTAssertNotEqual(try XCTUnwrap(fitted["rmse"] as? Double), try XCTUnwrap(free["rmse"] as? Double))
    let bad = try KeyfaceProcess.run(["eval", "--data", data, "--framing", "sideways"], in: directory)
    XCTAssertNotEqual(bad.status, 0)
  }
}

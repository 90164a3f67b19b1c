import Foundation
import XCTest

@testable import KeyfaceNN

final class ModelFileTests: XCTestCase {
  private var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyface-nn-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: directory)
  }

  /// A trained-looking tiny network: random weights and non-default batch-norm statistics.
  private func makeNetwork() -> Network {
    let network = Network(architecture: tinyArchitecture, seed: 9)
    _ = network.forward(Tensor(shape: [4, 1, 8, 8], data: GradientCheck.random(256, seed: 1, range: 3)), training: true)
    return network
  }

  private func assertModelError(
    _ bytes: Data, name: String = "broken.safetensors", contains fragment: String,
    file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let url = directory.appendingPathComponent(name)
    try bytes.write(to: url)
    XCTAssertThrowsError(try Network(contentsOf: url), file: file, line: line) { error in
      let message = "\(error)"
      XCTAssertTrue(error is ModelFileError, file: file, line: line)
      XCTAssertTrue(message.hasPrefix("\(name): "), "message: \(message)", file: file, line: line)
      XCTAssertTrue(message.contains(fragment), "message: \(message)", file: file, line: line)
      XCTAssertFalse(message.contains("\n"), file: file, line: line)
    }
  }

  func testRoundTripGivesIdenticalOutputs() throws {
    let network = makeNetwork()
    let url = directory.appendingPathComponent("model.safetensors")
    try network.save(to: url, metadata: ["trained_on": "synthetic"])
    let loaded = try Network(contentsOf: url)
    XCTAssertEqual(loaded.architecture, network.architecture)
    XCTAssertEqual(loaded.metadata["trained_on"], "synthetic")
    XCTAssertEqual(loaded.metadata["format"], "keyface-v1")
    XCTAssertEqual(loaded.metadata["keypoints"].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }, Keypoints.names)
    for (a, b) in zip(network.parameters + network.buffers, loaded.parameters + loaded.buffers) {
      XCTAssertEqual(a.name, b.name)
      XCTAssertEqual(a.value, b.value)
    }
    let x = Tensor(shape: [2, 1, 8, 8], data: GradientCheck.random(128, seed: 5))
    XCTAssertEqual(network.forward(x, training: false), loaded.forward(x, training: false))
    // Saving over an existing file replaces it and leaves no temporary file behind.
    try loaded.save(to: url, metadata: [:])
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["model.safetensors"])
  }

  func testHeaderIsReadableSafetensors() throws {
    let url = directory.appendingPathComponent("model.safetensors")
    try makeNetwork().save(to: url, metadata: [:])
    let bytes = try Data(contentsOf: url)
    let length = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    XCTAssertEqual(length % 8, 0)
    let header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + length))) as! [String: Any]
    let conv = header["conv1.weight"] as! [String: Any]
    XCTAssertEqual(conv["dtype"] as? String, "F32")
    XCTAssertEqual(conv["shape"] as? [Int], [4, 1, 3, 3])
    XCTAssertNotNil(header["bn1.running_var"])
  }

  func testTruncatedFilesFail() throws {
    let url = directory.appendingPathComponent("model.safetensors")
    try makeNetwork().save(to: url, metadata: [:])
    let bytes = try Data(contentsOf: url)
    try assertModelError(bytes.prefix(5), contains: "truncated")
    try assertModelError(bytes.prefix(40), contains: "truncated header")
    try assertModelError(bytes.prefix(bytes.count - 10), contains: "truncated")
    try assertModelError(Data(), contains: "truncated")
  }

  func testCorruptFilesFail() throws {
    let url = directory.appendingPathComponent("model.safetensors")
    try makeNetwork().save(to: url, metadata: [:])
    var bytes = try Data(contentsOf: url)
    var hugeLength = bytes
    hugeLength[7] = 0x7F
    try assertModelError(hugeLength, contains: "header length")
    bytes[9] = UInt8(ascii: "#")  // break the JSON
    try assertModelError(bytes, contains: "JSON")
    try assertModelError(Data("not a model at all, just some text".utf8), name: "notes.txt", contains: "header length")
  }

  func testMismatchedTensorsFail() throws {
    let network = makeNetwork()
    let encoder = JSONEncoder()
    let architecture = String(decoding: try encoder.encode(network.architecture), as: UTF8.self)
    var tensors = (network.parameters + network.buffers).map { (name: $0.name, tensor: $0.value) }
    let metadata = ["architecture": architecture, "format": "keyface-v1"]
    try assertModelError(try SafetensorsFile.encode(tensors: tensors, metadata: [:]), contains: "no architecture")
    var wrongShape = tensors
    wrongShape[0].tensor = Tensor(zeros: [4, 1, 9])
    try assertModelError(try SafetensorsFile.encode(tensors: wrongShape, metadata: metadata), contains: "conv1.weight has shape")
    let missing = tensors.filter { $0.name != "fc2.bias" }
    try assertModelError(try SafetensorsFile.encode(tensors: missing, metadata: metadata), contains: "missing tensor fc2.bias")
    tensors.append((name: "extra.weight", tensor: Tensor(zeros: [2])))
    try assertModelError(try SafetensorsFile.encode(tensors: tensors, metadata: metadata), contains: "unexpected tensor extra.weight")
    var badArchitecture = metadata
    badArchitecture["architecture"] = "{\"name\": 3}"
    try assertModelError(try SafetensorsFile.encode(tensors: tensors, metadata: badArchitecture), contains: "architecture")
    var huge = network.architecture
    huge.layers[7] = .linear(out: 1 << 20)  // 24 M weights: far more than the file holds
    let hugeJSON = String(decoding: try encoder.encode(huge), as: UTF8.self)
    try assertModelError(
      try SafetensorsFile.encode(tensors: tensors, metadata: ["architecture": hugeJSON]), contains: "needs")
    XCTAssertEqual(
      try network.architecture.storedValueCount(), (network.parameters + network.buffers).reduce(0) { $0 + $1.value.count })
    var notFinite = Array(tensors.dropLast())
    notFinite[1].tensor.data[0] = .nan
    try assertModelError(try SafetensorsFile.encode(tensors: notFinite, metadata: metadata), contains: "NaN")
  }

  func testWrongDtypeAndOffsetsFail() throws {
    func file(_ header: String) -> Data {
      var padded = Data(header.utf8)
      var data = Data()
      var length = UInt64(padded.count).littleEndian
      withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
      padded.append(contentsOf: [UInt8](repeating: 0, count: 8))
      data.append(padded)
      return data
    }
    try assertModelError(file(#"{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}"#), contains: "dtype BF16")
    try assertModelError(file(#"{"a":{"dtype":"F16","shape":[3],"data_offsets":[0,4]}}"#), contains: "needs 6")
    try assertModelError(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4000]}}"#), contains: "outside")
    try assertModelError(file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#), contains: "needs 12")
    try assertModelError(file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}"#), contains: "shape")
  }

  /// The horizontal calibration travels in `__metadata__` and shifts every predicted x, nothing else; a bad
  /// value is a one-line error.
  func testHorizontalOffsetIsSavedAndShiftsPredictedX() throws {
    let network = makeNetwork()
    let url = directory.appendingPathComponent("calibrated.safetensors")
    network.horizontalOffset = 0.375
    try network.save(to: url)
    let loaded = try Network(contentsOf: url)
    XCTAssertEqual(loaded.horizontalOffset, 0.375)
    XCTAssertEqual(loaded.metadata["horizontal_offset"], "0.375")
    let plainNetwork = try Network(contentsOf: url)
    plainNetwork.horizontalOffset = 0
    let crop = (0..<(loaded.architecture.inputSize * loaded.architecture.inputSize)).map { UInt8(($0 * 7) % 256) }
    let calibrated = KeypointPredictor(network: loaded, maxBatch: 1).predict(crop: crop).points
    let plain = KeypointPredictor(network: plainNetwork, maxBatch: 1).predict(crop: crop).points
    for (c, p) in zip(calibrated, plain) {
      XCTAssertEqual(c.x - p.x, 0.375, accuracy: 1e-4)
      XCTAssertEqual(c.y, p.y)
    }
    let architecture = String(decoding: try JSONEncoder().encode(network.architecture), as: UTF8.self)
    let tensors = (network.parameters + network.buffers).map { (name: $0.name, tensor: $0.value) }
    for bad in ["wide", "nan", "40"] {
      let metadata = ["architecture": architecture, "horizontal_offset": bad]
      try assertModelError(
        try SafetensorsFile.encode(tensors: tensors, metadata: metadata),
        contains: "invalid horizontal_offset '\(bad)' in __metadata__")
    }
  }

  func testMissingFileFails() {
    XCTAssertThrowsError(try Network(contentsOf: directory.appendingPathComponent("absent.safetensors"))) {
      XCTAssertEqual("\($0)", "absent.safetensors: no such file")
    }
  }
}

extension ModelFileTests {
  /// The file of `network` with every tensor stored as F16 (as scripts/half_precision.py writes the shipped ones).
  private func halfPrecisionFile(of network: Network) throws -> Data {
    let url = directory.appendingPathComponent("full.safetensors")
    try network.save(to: url, metadata: [:])
    let full = try Data(contentsOf: url)
    var length = 0
    for i in 0..<8 { length |= Int(full[i]) << (8 * i) }
    var header = try XCTUnwrap(JSONSerialization.jsonObject(with: full[8..<(8 + length)]) as? [String: Any])
    let data = full[(8 + length)...]
    var blobs = Data()
    for name in header.keys.sorted() where name != "__metadata__" {
      var info = try XCTUnwrap(header[name] as? [String: Any])
      let offsets = try XCTUnwrap(info["data_offsets"] as? [Int])
      let start = data.startIndex + offsets[0]
      let floats = data[start..<(data.startIndex + offsets[1])].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
      let begin = blobs.count
      for value in floats {
        var bits = Float16(value).bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { blobs.append(contentsOf: $0) }
      }
      info["dtype"] = "F16"
      info["data_offsets"] = [begin, blobs.count]
      header[name] = info
    }
    var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    while json.count % 8 != 0 { json.append(0x20) }
    var out = Data()
    var size = UInt64(json.count).littleEndian
    withUnsafeBytes(of: &size) { out.append(contentsOf: $0) }
    return out + json + blobs
  }

  func testHalfPrecisionFilesLoadWithinHalfPrecision() throws {
    let network = makeNetwork()
    let bytes = try halfPrecisionFile(of: network)
    let url = directory.appendingPathComponent("half.safetensors")
    try bytes.write(to: url)
    let loaded = try Network(contentsOf: url)
    for (a, b) in zip(network.parameters + network.buffers, loaded.parameters + loaded.buffers) {
      for (x, y) in zip(a.value.data, b.value.data) {
        XCTAssertEqual(y, Float(Float16(x)), "\(a.name): each value is the nearest half")
      }
    }
    let x = Tensor(shape: [2, 1, 8, 8], data: GradientCheck.random(128, seed: 5))
    let exact = network.forward(x, training: false).data
    let half = loaded.forward(x, training: false).data
    for (p, q) in zip(exact, half) { XCTAssertEqual(p, q, accuracy: 2e-2 * max(1, abs(p))) }
    // Cut short, the half-size file is reported as such, not read past its end.
    try assertModelError(bytes.prefix(bytes.count - 3), contains: "outside")
  }

  func testHalfBitsDecodeExactly() {
    for bits: UInt16 in [0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x3555] {
      let expected = Float(Float16(bitPattern: bits))
      XCTAssertEqual(SafetensorsFile.float(half: bits), expected, "bits \(String(bits, radix: 16))")
    }
    XCTAssertTrue(SafetensorsFile.float(half: 0x7e00).isNaN)
  }
}

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
    try assertModelError(file(#"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#), contains: "dtype F16")
    try assertModelError(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4000]}}"#), contains: "outside")
    try assertModelError(file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#), contains: "needs 12")
    try assertModelError(file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}"#), contains: "shape")
  }

  func testMissingFileFails() {
    XCTAssertThrowsError(try Network(contentsOf: directory.appendingPathComponent("absent.safetensors"))) {
      XCTAssertEqual("\($0)", "absent.safetensors: no such file")
    }
  }
}

// Loading and saving networks as safetensors with the architecture in __metadata__.
import Foundation

extension Network {
  /// The `__metadata__["format"]` value this engine writes and reads.
  public static let fileFormat = "keyface-v1"

  /// Loads a network from a safetensors model file; the architecture comes from `__metadata__["architecture"]`.
  ///
  /// - Throws: `ModelFileError` (one line naming the file) if the file is missing, truncated, corrupt, or its
  ///   tensors do not match its architecture.
  public convenience init(contentsOf url: URL) throws {
    let name = url.lastPathComponent
    let bytes: Data
    do {
      bytes = try Data(contentsOf: url, options: [.mappedIfSafe])
    } catch {
      throw ModelFileError(file: name, problem: FileManager.default.fileExists(atPath: url.path) ? "cannot be read" : "no such file")
    }
    try self.init(bytes: bytes, name: name)
  }

  /// Loads a network from the bytes of a safetensors model file; `name` is used in error messages.
  public convenience init(bytes: Data, name: String) throws {
    func fail(_ problem: String) -> ModelFileError { ModelFileError(file: name, problem: problem) }
    let file: SafetensorsFile
    do {
      file = try SafetensorsFile(bytes: bytes)
    } catch let error as SafetensorsError {
      throw fail(error.message)
    }
    if let format = file.metadata["format"], format != Network.fileFormat {
      throw fail("unsupported format '\(format)' (expected \(Network.fileFormat))")
    }
    guard let architectureJSON = file.metadata["architecture"] else {
      throw fail("no architecture in __metadata__ (not a keyface model)")
    }
    let architecture: Architecture
    do {
      architecture = try JSONDecoder().decode(Architecture.self, from: Data(architectureJSON.utf8))
    } catch {
      throw fail("corrupt architecture in __metadata__")
    }
    // Check the data can hold every tensor before allocating the network: a corrupt architecture must not
    // make us allocate gigabytes.
    do {
      // At least 2 bytes a value (F16; F32 takes 4).
      let needed = try architecture.storedValueCount() * 2
      guard needed <= bytes.count else {
        throw ArchitectureError(
          "needs at least \(needed) bytes of tensors, the file has \(bytes.count) (truncated or mismatched?)")
      }
      try self.init(validating: architecture, sharing: nil)
    } catch {
      throw fail("invalid architecture: \(error)")
    }
    let expected = parameters + buffers
    let expectedNames = Set(expected.map(\.name))
    if let extra = file.entries.keys.sorted().first(where: { !expectedNames.contains($0) }) {
      throw fail("unexpected tensor \(extra) for architecture '\(architecture.name)'")
    }
    for tensor in expected {
      guard let entry = file.entries[tensor.name] else {
        throw fail("missing tensor \(tensor.name) for architecture '\(architecture.name)'")
      }
      guard entry.shape == tensor.value.shape else {
        throw fail("tensor \(tensor.name) has shape \(entry.shape), expected \(tensor.value.shape)")
      }
      var finite = true
      tensor.value.data.withUnsafeMutableBufferPointer { destination in
        file.read(entry, into: destination)
        for value in destination where !value.isFinite { finite = false; break }
      }
      guard finite else { throw fail("tensor \(tensor.name) contains NaN or infinity") }
    }
    metadata = file.metadata
    if let text = file.metadata["horizontal_offset"] {
      guard let offset = Float(text), offset.isFinite, abs(offset) <= 16 else {
        throw fail("invalid horizontal_offset '\(text)' in __metadata__")
      }
      horizontalOffset = offset
    }
  }

  /// Loads the network in the model file at `path` (see `init(contentsOf:)`).
  public convenience init(file path: String) throws {
    try self.init(contentsOf: URL(fileURLWithPath: path))
  }

  /// A model shipped with the package (`Resources/<name>.safetensors`).
  ///
  /// - Throws: `ModelFileError` if the resource is missing or unusable.
  public static func bundled(_ model: BundledModel) throws -> Network {
    guard let url = Bundle.module.url(forResource: model.rawValue, withExtension: "safetensors") else {
      throw ModelFileError(file: "\(model.rawValue).safetensors", problem: "not found in the package resources")
    }
    return try Network(contentsOf: url)
  }

  /// Writes the network as safetensors: every parameter and batch-norm running statistic, plus `__metadata__`
  /// with `architecture` (JSON), `keypoints` (JSON array of names), `format`, `horizontal_offset` (when not 0)
  /// and `extra`.
  ///
  /// The file is written under a temporary name and renamed, so readers never see a partial file.
  public func save(to url: URL, metadata extra: [String: String] = [:]) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    var metadata = extra
    metadata["architecture"] = String(decoding: try encoder.encode(architecture), as: UTF8.self)
    metadata["keypoints"] = String(decoding: try encoder.encode(Keypoints.names), as: UTF8.self)
    metadata["format"] = Network.fileFormat
    metadata["horizontal_offset"] = horizontalOffset == 0 ? nil : String(horizontalOffset)
    let tensors = (parameters + buffers).map { (name: $0.name, tensor: $0.value) }
    let data = try SafetensorsFile.encode(tensors: tensors, metadata: metadata)
    let directory = url.deletingLastPathComponent()
    let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
    do {
      try data.write(to: temporary)
      guard rename(temporary.path, url.path) == 0 else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: String(cString: strerror(errno))])
      }
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw ModelFileError(file: url.lastPathComponent, problem: "cannot be written (\(error.localizedDescription))")
    }
  }
}

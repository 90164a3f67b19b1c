// The safetensors container: 8-byte little-endian header length, a JSON header
// {name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {string: string}},
// then the raw little-endian data. F32 is written; F32 and F16 (half precision, converted on reading: the shipped
// models are stored so, at half the size) are accepted. Reading checks every offset and size
// before touching the data, so a damaged file yields a SafetensorsError, never an out-of-bounds read.
import Foundation

/// One tensor's entry in a safetensors header.
struct SafetensorsEntry {
  var shape: [Int]
  var bytesPerElement = 4  // 4 for F32, 2 for F16
  var begin: Int  // byte offset into the data section
  var end: Int
}

/// Why a safetensors file is unreadable (the message has no file name; callers add it).
struct SafetensorsError: Error {
  let message: String
  init(_ message: String) { self.message = message }
}

/// A parsed safetensors file: header entries plus the data section.
struct SafetensorsFile {
  var entries: [String: SafetensorsEntry]
  var metadata: [String: String]
  let bytes: Data
  let dataStart: Int

  /// The largest header accepted (100 MB, the reference implementation's limit).
  static let maximumHeaderLength = 100_000_000

  /// Parses and bounds-checks `bytes` as a safetensors file.
  init(bytes: Data) throws {
    self.bytes = bytes
    guard bytes.count >= 8 else { throw SafetensorsError("truncated header (file has \(bytes.count) bytes, needs at least 8)") }
    var length: UInt64 = 0
    for i in 0..<8 { length |= UInt64(bytes[bytes.startIndex + i]) << (8 * UInt64(i)) }
    guard length <= UInt64(SafetensorsFile.maximumHeaderLength) else {
      throw SafetensorsError("corrupt header length \(length) (not a safetensors file?)")
    }
    guard 8 + Int(length) <= bytes.count else {
      throw SafetensorsError("truncated header (needs \(8 + Int(length)) bytes, file has \(bytes.count))")
    }
    dataStart = 8 + Int(length)
    let headerData = bytes.subdata(in: (bytes.startIndex + 8)..<(bytes.startIndex + dataStart))
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: headerData, options: [])
    } catch {
      throw SafetensorsError("corrupt header (not valid JSON)")
    }
    guard let header = object as? [String: Any] else { throw SafetensorsError("corrupt header (not a JSON object)") }
    let dataLength = bytes.count - dataStart
    var entries: [String: SafetensorsEntry] = [:]
    var metadata: [String: String] = [:]
    for (name, value) in header {
      if name == "__metadata__" {
        guard let dictionary = value as? [String: Any] else { throw SafetensorsError("corrupt __metadata__ (not an object)") }
        for (key, item) in dictionary {
          guard let string = item as? String else { throw SafetensorsError("corrupt __metadata__ (\(key) is not a string)") }
          metadata[key] = string
        }
        continue
      }
      guard let info = value as? [String: Any] else { throw SafetensorsError("corrupt entry for tensor \(name)") }
      guard let dtype = info["dtype"] as? String else { throw SafetensorsError("tensor \(name) has no dtype") }
      let width: Int
      switch dtype {
      case "F32": width = 4
      case "F16": width = 2
      default: throw SafetensorsError("tensor \(name) has dtype \(dtype), only F32 and F16 are supported")
      }
      guard let shapeValues = info["shape"] as? [Any], let offsets = info["data_offsets"] as? [Any], offsets.count == 2
      else { throw SafetensorsError("tensor \(name) has no valid shape or data_offsets") }
      let shape = try shapeValues.map { try SafetensorsFile.integer($0, what: "shape of \(name)") }
      let begin = try SafetensorsFile.integer(offsets[0], what: "data_offsets of \(name)")
      let end = try SafetensorsFile.integer(offsets[1], what: "data_offsets of \(name)")
      guard begin <= end, end <= dataLength else {
        throw SafetensorsError("tensor \(name) data [\(begin), \(end)) is outside the \(dataLength)-byte data section (truncated?)")
      }
      var elements = 1
      for dimension in shape {
        let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
        guard !overflow else { throw SafetensorsError("tensor \(name) shape \(shape) is too large") }
        elements = product
      }
      guard elements * width == end - begin else {
        throw SafetensorsError("tensor \(name) has \(end - begin) bytes for shape \(shape) (needs \(elements * width))")
      }
      entries[name] = SafetensorsEntry(shape: shape, bytesPerElement: width, begin: begin, end: end)
    }
    self.entries = entries
    self.metadata = metadata
  }

  private static func integer(_ value: Any, what: String) throws -> Int {
    if let number = value as? NSNumber {
      let double = number.doubleValue
      if double >= 0, double <= 1e15, double == double.rounded() { return number.intValue }
    }
    throw SafetensorsError("corrupt \(what) (not a non-negative integer)")
  }

  /// Copies an entry's values, as floats, into `destination` (which holds exactly its element count).
  func read(_ entry: SafetensorsEntry, into destination: UnsafeMutableBufferPointer<Float>) {
    let count = (entry.end - entry.begin) / entry.bytesPerElement
    require(destination.count == count, "SafetensorsFile.read: destination size")
    bytes.withUnsafeBytes { raw in
      let source = UnsafeRawBufferPointer(rebasing: raw[(dataStart + entry.begin)..<(dataStart + entry.end)])
      if entry.bytesPerElement == 2 {
        for i in 0..<count {
          let bits = source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
          destination[i] = Self.float(half: UInt16(littleEndian: bits))
        }
        return
      }
      for i in 0..<count {
        let bits = source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
        destination[i] = Float(bitPattern: UInt32(littleEndian: bits))
      }
    }
  }

  /// The IEEE half-precision number with these bits, exactly (every half is a float).
  static func float(half bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = Int(bits >> 10) & 0x1f
    let fraction = UInt32(bits & 0x3ff)
    switch exponent {
    case 0:
      // Zero or subnormal: fraction * 2^-24.
      let magnitude = Float(fraction) * 0x1p-24
      return sign == 0 ? magnitude : -magnitude
    case 0x1f:
      return Float(bitPattern: sign | 0x7f80_0000 | (fraction << 13))  // infinity or NaN
    default:
      return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | fraction << 13)
    }
  }

  /// Serialises named float32 tensors and string metadata; the header is padded with spaces to 8-byte alignment.
  static func encode(tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) throws -> Data {
    var header: [String: Any] = [:]
    var offset = 0
    for (name, tensor) in tensors {
      header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + tensor.count * 4]] as [String: Any]
      offset += tensor.count * 4
    }
    if !metadata.isEmpty { header["__metadata__"] = metadata }
    var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    while json.count % 8 != 0 { json.append(0x20) }
    var data = Data(capacity: 8 + json.count + offset)
    var length = UInt64(json.count).littleEndian
    withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
    data.append(json)
    for (_, tensor) in tensors {
      tensor.data.withUnsafeBufferPointer { buffer in
        // Little-endian hosts (x86-64, arm64) store Float in file order already.
        data.append(UnsafeBufferPointer(start: UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UInt8.self), count: buffer.count * 4))
      }
    }
    return data
  }
}

// A minimal PNG encoder: 8-bit RGB, no interlacing, filter type 0 on every row, one zlib-compressed IDAT.
import CZlib
import Foundation

/// Encodes 8-bit RGB images as PNG files.
public enum PNGWriter {
  /// PNG bytes for `width` x `height` RGB pixels (`3 * width * height` bytes, row-major).
  public static func encode(width: Int, height: Int, rgb: [UInt8]) -> [UInt8] {
    precondition(width > 0 && height > 0 && rgb.count == 3 * width * height, "PNGWriter: pixel count mismatch")
    var raw = [UInt8]()
    raw.reserveCapacity((3 * width + 1) * height)
    for y in 0..<height {
      raw.append(0)  // filter: none
      raw.append(contentsOf: rgb[(3 * width * y)..<(3 * width * (y + 1))])
    }
    var compressedCount = compressBound(uLong(raw.count))
    var compressed = [UInt8](repeating: 0, count: Int(compressedCount))
    let status = compressed.withUnsafeMutableBufferPointer { out in
      raw.withUnsafeBufferPointer { compress2(out.baseAddress, &compressedCount, $0.baseAddress, uLong(raw.count), 6) }
    }
    precondition(status == Z_OK, "PNGWriter: zlib compress2 failed (\(status))")
    compressed.removeSubrange(Int(compressedCount)...)

    var header = [UInt8]()
    header += bigEndian(UInt32(width)) + bigEndian(UInt32(height))
    header += [8, 2, 0, 0, 0]  // bit depth 8, colour type RGB, deflate, adaptive filters, no interlace
    var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    png += chunk("IHDR", header)
    png += chunk("IDAT", compressed)
    png += chunk("IEND", [])
    return png
  }

  /// Writes a PNG file atomically.
  /// - Throws: `TrainingError` naming the file if it cannot be written.
  public static func write(width: Int, height: Int, rgb: [UInt8], to url: URL) throws {
    do {
      try Data(encode(width: width, height: height, rgb: rgb)).write(to: url, options: .atomic)
    } catch {
      throw TrainingError("\(url.path): cannot write the PNG file: \(error.localizedDescription)")
    }
  }

  private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let typeBytes = Array(type.utf8)
    var crc = crc32(0, nil, 0)
    crc = typeBytes.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt($0.count)) }
    if !data.isEmpty { crc = data.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt($0.count)) } }
    return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(UInt32(crc))
  }

  private static func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
  }
}

// Fast, allocation-light text for the JSON Lines and CSV writers: fixed-point numbers without trailing
// zeros, and JSON / CSV string escaping. Foundation's formatters are far too slow for a line per frame.

/// Appends number and string text to byte buffers.
enum TextFormatting {
  /// Appends `value` rounded to `decimals` places with trailing zeros removed ("12.5", "3", "-0.25");
  /// "null" for NaN, infinities and magnitudes beyond 1e15.
  static func appendNumber(_ value: Double, decimals: Int, to out: inout [UInt8]) {
    guard value.isFinite, abs(value) < 1e15 else {
      out.append(contentsOf: "null".utf8)
      return
    }
    var power: Int64 = 1
    for _ in 0..<decimals { power *= 10 }
    var scaled = Int64((abs(value) * Double(power)).rounded())
    if scaled != 0 && value < 0 { out.append(UInt8(ascii: "-")) }
    var fraction = scaled % power
    scaled /= power
    appendInteger(Int(scaled), to: &out)
    guard fraction != 0 else { return }
    var digits = decimals
    while fraction % 10 == 0 {
      fraction /= 10
      digits -= 1
    }
    out.append(UInt8(ascii: "."))
    var buffer = [UInt8](repeating: UInt8(ascii: "0"), count: digits)
    var i = digits - 1
    while fraction > 0 && i >= 0 {
      buffer[i] = UInt8(ascii: "0") + UInt8(fraction % 10)
      fraction /= 10
      i -= 1
    }
    out.append(contentsOf: buffer)
  }

  /// Appends a decimal integer.
  static func appendInteger(_ value: Int, to out: inout [UInt8]) {
    if value < 0 {
      out.append(UInt8(ascii: "-"))
      // Int.min has no positive counterpart; it never occurs here but must not trap.
      if value == Int.min {
        out.append(contentsOf: String(value).utf8.dropFirst())
        return
      }
      appendInteger(-value, to: &out)
      return
    }
    if value < 10 {
      out.append(UInt8(ascii: "0") + UInt8(value))
      return
    }
    var digits: [UInt8] = []
    var v = value
    while v > 0 {
      digits.append(UInt8(ascii: "0") + UInt8(v % 10))
      v /= 10
    }
    out.append(contentsOf: digits.reversed())
  }

  /// Appends `text` as a JSON string literal, quotes included.
  static func appendJSONString(_ text: String, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
      case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
      case 0x0A: out.append(contentsOf: "\\n".utf8)
      case 0x0D: out.append(contentsOf: "\\r".utf8)
      case 0x09: out.append(contentsOf: "\\t".utf8)
      case 0x00..<0x20:
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(contentsOf: "\\u00".utf8)
        out.append(hex[Int(byte >> 4)])
        out.append(hex[Int(byte & 15)])
      default: out.append(byte)
      }
    }
    out.append(UInt8(ascii: "\""))
  }

  /// Appends `text` as a CSV field, quoted only when it holds a comma, quote or line break.
  static func appendCSVField(_ text: String, to out: inout [UInt8]) {
    let needsQuotes = text.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
    guard needsQuotes else {
      out.append(contentsOf: text.utf8)
      return
    }
    out.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
      if byte == UInt8(ascii: "\"") { out.append(byte) }
      out.append(byte)
    }
    out.append(UInt8(ascii: "\""))
  }
}

// Parses Kaggle's facial-keypoints CSV files byte by byte: the `Image` cell alone holds 9,216 numbers
// per row, so splitting it into Strings would dominate loading time. Quoted cells are not supported
// (Kaggle's files have none).
import KeyfaceNN

extension KaggleDataset {
  /// What one CSV column holds.
  private enum Column {
    case coordinate(Int)  // index into the 30 coordinates
    case image
    case imageId
    case ignored
  }

  /// Loads `training.csv` (30 keypoint columns and `Image`) or `test.csv` (`ImageId` and `Image`), plain or `.gz`.
  ///
  /// Empty keypoint cells are masked. Columns other than the keypoints, `ImageId` and `Image` are ignored.
  /// - Throws: `KaggleCSVError` naming the file and line of the first malformed row.
  public init(contentsOf path: String) throws {
    let reader = try GzipLineReader(path: path)
    guard try reader.next() else { throw KaggleCSVError(path: path, line: nil, message: "empty file, expected a header row") }
    let header = String(decoding: reader.line, as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false)
      .map { $0.trimmingCharacters(in: .whitespaces) }
    let columns = try Self.columns(of: header, path: path)
    let hasKeypoints = columns.contains { if case .coordinate = $0 { return true } else { return false } }
    self.init(hasKeypoints: hasKeypoints)

    var face = [UInt8](repeating: 0, count: Self.pixelCount)
    var xy = [Float](repeating: 0, count: Self.coordinateCount)
    var present = [Float](repeating: 0, count: Self.coordinateCount)
    while try reader.next() {
      if reader.line.isEmpty { continue }
      var imageId = count + 1
      let line = reader.lineNumber
      try reader.line.withUnsafeBufferPointer { bytes in
        var cellStart = 0
        var column = 0
        while cellStart <= bytes.count {
          var cellEnd = cellStart
          while cellEnd < bytes.count && bytes[cellEnd] != 44 { cellEnd += 1 }  // ','
          guard column < columns.count else {
            throw KaggleCSVError(path: path, line: line, message: "more than the header's \(columns.count) cells")
          }
          let cell = UnsafeBufferPointer(rebasing: bytes[cellStart..<cellEnd])
          switch columns[column] {
          case .coordinate(let k):
            if let value = try Self.number(cell, path: path, line: line, name: header[column]) {
              xy[k] = value
              present[k] = 1
            } else {
              xy[k] = 0
              present[k] = 0
            }
          case .imageId:
            guard let value = try Self.number(cell, path: path, line: line, name: header[column]),
              value == value.rounded(), abs(value) < 1e15
            else {
              throw KaggleCSVError(path: path, line: line, message: "ImageId is not a whole number of at most 15 digits")
            }
            imageId = Int(value)
          case .image:
            try face.withUnsafeMutableBufferPointer { try Self.pixels(cell, into: $0, path: path, line: line) }
          case .ignored:
            break
          }
          column += 1
          cellStart = cellEnd + 1
        }
        guard column == columns.count else {
          throw KaggleCSVError(path: path, line: line, message: "expected \(columns.count) cells, found \(column)")
        }
      }
      append(pixels: face, coordinates: xy, mask: present, imageId: imageId)
    }
  }

  private static func columns(of header: [String], path: String) throws -> [Column] {
    var columns: [Column] = []
    var seen = Set<Int>()
    var images = 0
    for name in header {
      if name == "Image" {
        columns.append(.image)
        images += 1
      } else if name == "ImageId" {
        columns.append(.imageId)
      } else if let k = coordinateIndex(name) {
        guard seen.insert(k).inserted else { throw KaggleCSVError(path: path, line: 1, message: "column \(name) appears twice") }
        columns.append(.coordinate(k))
      } else {
        columns.append(.ignored)
      }
    }
    guard images == 1 else {
      throw KaggleCSVError(path: path, line: 1, message: "expected one Image column in the header, found \(images)")
    }
    guard seen.isEmpty || seen.count == coordinateCount else {
      let missing = (0..<coordinateCount).first { !seen.contains($0) }!
      throw KaggleCSVError(path: path, line: 1, message: "keypoint column \(coordinateName(missing)) is missing")
    }
    return columns
  }

  /// The column name of coordinate `k`, e.g. `left_eye_center_x` for 0.
  public static func coordinateName(_ k: Int) -> String {
    Keypoints.names[k / 2] + (k % 2 == 0 ? "_x" : "_y")
  }

  /// The coordinate index of a column name such as `nose_tip_y`, or nil.
  public static func coordinateIndex(_ name: String) -> Int? {
    let axis: Int
    if name.hasSuffix("_x") { axis = 0 } else if name.hasSuffix("_y") { axis = 1 } else { return nil }
    guard let k = Keypoints.names.firstIndex(of: String(name.dropLast(2))) else { return nil }
    return 2 * k + axis
  }

  /// Parses a decimal number (`-12.5`, `1e-3`); nil for an empty cell.
  private static func number(_ cell: UnsafeBufferPointer<UInt8>, path: String, line: Int, name: String) throws -> Float? {
    var i = 0
    var end = cell.count
    while i < end && cell[i] == 32 { i += 1 }
    while end > i && cell[end - 1] == 32 { end -= 1 }
    if i == end { return nil }
    let bad = KaggleCSVError(path: path, line: line, message: "\(name) is not a number: \"\(String(decoding: cell, as: UTF8.self))\"")
    var negative = false
    if cell[i] == 45 || cell[i] == 43 {  // '-' '+'
      negative = cell[i] == 45
      i += 1
    }
    var mantissa: Double = 0
    var exponent = 0
    var digits = 0
    while i < end, cell[i] >= 48, cell[i] <= 57 {
      mantissa = mantissa * 10 + Double(cell[i] - 48)
      digits += 1
      i += 1
    }
    if i < end && cell[i] == 46 {  // '.'
      i += 1
      while i < end, cell[i] >= 48, cell[i] <= 57 {
        mantissa = mantissa * 10 + Double(cell[i] - 48)
        exponent -= 1
        digits += 1
        i += 1
      }
    }
    guard digits > 0 else { throw bad }
    if i < end && (cell[i] == 101 || cell[i] == 69) {  // 'e' 'E'
      i += 1
      var sign = 1
      if i < end && (cell[i] == 45 || cell[i] == 43) {
        sign = cell[i] == 45 ? -1 : 1
        i += 1
      }
      var e = 0
      var eDigits = 0
      while i < end, cell[i] >= 48, cell[i] <= 57, eDigits < 4 {
        e = e * 10 + Int(cell[i] - 48)
        eDigits += 1
        i += 1
      }
      guard eDigits > 0 else { throw bad }
      exponent += sign * e
    }
    guard i == end else { throw bad }
    let value = Float(mantissa * pow10(exponent))
    guard value.isFinite else { throw bad }
    return negative ? -value : value
  }

  private static func pow10(_ e: Int) -> Double {
    var result = 1.0
    let base = e < 0 ? 0.1 : 10.0
    for _ in 0..<min(abs(e), 400) { result *= base }
    return result
  }

  /// Parses exactly 9,216 space-separated values in 0...255 into `face`.
  private static func pixels(
    _ cell: UnsafeBufferPointer<UInt8>, into face: UnsafeMutableBufferPointer<UInt8>, path: String, line: Int
  ) throws {
    var n = 0
    var value = 0
    var inValue = false
    for byte in cell {
      if byte >= 48 && byte <= 57 {
        value = value * 10 + Int(byte - 48)
        if value > 255 {
          throw KaggleCSVError(path: path, line: line, message: "pixel \(n + 1) of Image is above 255")
        }
        inValue = true
      } else if byte == 32 || byte == 9 {
        if inValue {
          if n < pixelCount { face[n] = UInt8(value) }
          n += 1
          value = 0
          inValue = false
        }
      } else {
        throw KaggleCSVError(
          path: path, line: line, message: "pixel \(n + 1) of Image is not a whole number from 0 to 255")
      }
    }
    if inValue {
      if n < pixelCount { face[n] = UInt8(value) }
      n += 1
    }
    guard n == pixelCount else {
      throw KaggleCSVError(path: path, line: line, message: "expected \(pixelCount) pixel values in Image, found \(n)")
    }
  }
}

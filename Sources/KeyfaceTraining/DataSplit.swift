// Training/validation splits: random rows, or whole groups (people) so that validation measures faces the
// model has never seen. Groups are chosen by a stable hash of their names, independent of --seed, so every
// run (and scripts/keras_seed.py, which implements the same rule) holds out the same people.
import Foundation

/// Which rows of a dataset train the model and which validate it.
public struct DataSplit: Equatable {
  /// Row indices used for training, ascending.
  public var training: [Int]
  /// Row indices held out for validation, ascending.
  public var validation: [Int]

  /// Creates a split from explicit row lists.
  public init(training: [Int], validation: [Int]) {
    self.training = training
    self.validation = validation
  }

  /// Holds out `round(fraction * count)` random rows, chosen by `seed`.
  public static func random(count: Int, fraction: Double, seed: UInt64) -> DataSplit {
    var random = SeededRandom(mixing: seed, 0x5EED_5B11)
    let order = Array(0..<count).shuffled(using: &random)
    let held = Int((fraction * Double(count)).rounded())
    return DataSplit(training: order[held...].sorted(), validation: order[..<held].sorted())
  }

  /// Holds out whole groups: the first `round(fraction * groupCount)` distinct names in FNV-1a-hash order.
  /// - Parameter groups: one group name per row (e.g. the `identity` column).
  public static func byGroups(_ groups: [String], fraction: Double) -> DataSplit {
    let held = validationGroups(Array(Set(groups)), fraction: fraction)
    var split = DataSplit(training: [], validation: [])
    for (row, group) in groups.enumerated() {
      if held.contains(group) { split.validation.append(row) } else { split.training.append(row) }
    }
    return split
  }

  /// The names held out among `names`: the first `round(fraction * count)` in (hash, name) order.
  public static func validationGroups(_ names: [String], fraction: Double) -> Set<String> {
    let unique = Array(Set(names))
    let ordered = unique.sorted { (fnv1a64($0), $0) < (fnv1a64($1), $1) }
    return Set(ordered.prefix(Int((fraction * Double(unique.count)).rounded())))
  }

  /// FNV-1a, 64 bits, over the UTF-8 bytes of `text`.
  public static func fnv1a64(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
    return hash
  }

  /// Reads the group column (`identity` by default) of a CSV file whose rows align with the training CSV.
  /// - Throws: `KaggleCSVError` if the file or column is missing or a row is short.
  public static func readGroups(path: String, column: String = "identity") throws -> [String] {
    let reader = try GzipLineReader(path: path)
    guard try reader.next() else { throw KaggleCSVError(path: path, line: nil, message: "empty file, expected a header row") }
    let header = String(decoding: reader.line, as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false)
      .map { $0.trimmingCharacters(in: .whitespaces) }
    guard let index = header.firstIndex(of: column) else {
      throw KaggleCSVError(path: path, line: 1, message: "no \"\(column)\" column in the header")
    }
    var groups: [String] = []
    while try reader.next() {
      if reader.line.isEmpty { continue }
      // Only the cells up to the group column are needed; split lazily on commas.
      var cell = 0
      var start = 0
      var found: String?
      for (i, byte) in reader.line.enumerated() where byte == 44 {
        if cell == index {
          found = String(decoding: reader.line[start..<i], as: UTF8.self)
          break
        }
        cell += 1
        start = i + 1
      }
      if found == nil && cell == index { found = String(decoding: reader.line[start...], as: UTF8.self) }
      guard let name = found else {
        throw KaggleCSVError(path: path, line: reader.lineNumber, message: "row has no \"\(column)\" cell")
      }
      groups.append(name)
    }
    return groups
  }
}

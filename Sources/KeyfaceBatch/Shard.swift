import Foundation

/// One share of a corpus split into `count` shares by a stable hash of each clip's relative path.
///
/// The hash is FNV-1a 64 of the path's UTF-8 bytes, so every machine, process and Swift version takes the same
/// share without coordination; `index` is 1-based, as users write `--shard 2/4`.
public struct Shard: Hashable, Sendable, CustomStringConvertible {
  /// The share taken, from 1 to `count`.
  public let index: Int
  /// The number of shares.
  public let count: Int

  /// The whole corpus.
  public static let all = Shard(validIndex: 1, count: 1)

  private init(validIndex: Int, count: Int) {
    self.index = validIndex
    self.count = count
  }

  /// Creates share `index` of `count`; throws when `count` < 1 or `index` is outside 1...count.
  public init(index: Int, count: Int) throws {
    guard count >= 1 else { throw ShardError("the number of shards must be at least 1, got \(count)") }
    guard (1...count).contains(index) else {
      throw ShardError("the shard index must be from 1 to \(count), got \(index)")
    }
    self.init(validIndex: index, count: count)
  }

  /// Parses `I/N`, e.g. `2/4`.
  public init(parsing text: String) throws {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2,
      let index = Int(parts[0].trimmingCharacters(in: .whitespaces)),
      let count = Int(parts[1].trimmingCharacters(in: .whitespaces))
    else { throw ShardError("'\(text)' is not a shard: write I/N, e.g. 1/4") }
    try self.init(index: index, count: count)
  }

  /// `I/N`.
  public var description: String { "\(index)/\(count)" }

  /// True when the clip with this relative path belongs to this share.
  public func contains(_ relativePath: String) -> Bool {
    count == 1 || Int(Shard.fnv1a64(relativePath) % UInt64(count)) == index - 1
  }

  /// FNV-1a 64-bit hash of the string's UTF-8 bytes.
  public static func fnv1a64(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    return hash
  }
}

/// A malformed `--shard` value.
public struct ShardError: Error, CustomStringConvertible, Sendable {
  /// What is wrong, e.g. "the shard index must be from 1 to 4, got 5".
  public let description: String
  init(_ description: String) { self.description = description }
}

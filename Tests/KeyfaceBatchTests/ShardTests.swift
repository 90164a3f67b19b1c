import XCTest

@testable import KeyfaceBatch

final class ShardTests: XCTestCase {
  func testParsesIndexOverCount() throws {
    let shard = try Shard(parsing: "2/4")
    XCTAssertEqual(shard.index, 2)
    XCTAssertEqual(shard.count, 4)
    XCTAssertEqual(shard.description, "2/4")
  }

  func testRejectsBadValues() {
    for text in ["0/2", "3/2", "1/0", "-1/2", "2", "a/b", "1/2/3", "", "/2", "1/"] {
      XCTAssertThrowsError(try Shard(parsing: text), text)
    }
  }

  func testFNV1aMatchesPublishedVectors() {
    XCTAssertEqual(Shard.fnv1a64(""), 0xcbf2_9ce4_8422_2325)
    XCTAssertEqual(Shard.fnv1a64("a"), 0xaf63_dc4c_8601_ec8c)
    XCTAssertEqual(Shard.fnv1a64("foobar"), 0x8594_4171_f739_67e8)
  }

  func testSharesAreDisjointAndComplete() throws {
    let paths = (0..<1000).map { "folder \($0 % 7)/clip-\($0)-é.mp4" }
    for count in [1, 2, 3, 5] {
      let shards = try (1...count).map { try Shard(index: $0, count: count) }
      for path in paths {
        XCTAssertEqual(shards.filter { $0.contains(path) }.count, 1, "\(path) in \(count) shares")
      }
      // The hash spreads the clips: no share holds less than half its fair part.
      for shard in shards {
        XCTAssertGreaterThan(paths.filter(shard.contains).count, 1000 / count / 2)
      }
    }
  }

  func testAllContainsEverything() {
    XCTAssertTrue(Shard.all.contains("anything.mp4"))
  }
}

import XCTest

@testable import KeyfaceTraining

final class DataSplitTests: XCTestCase {
  func testGroupSplitKeepsGroupsWhole() {
    // 40 people with 1 to 12 rows each, interleaved.
    var groups: [String] = []
    for round in 0..<12 {
      for person in 0..<40 where person % 12 >= round { groups.append("person\(person)") }
    }
    let split = DataSplit.byGroups(groups, fraction: 0.25)
    XCTAssertEqual(Set(split.training).union(split.validation), Set(groups.indices))
    XCTAssertTrue(Set(split.training).isDisjoint(with: split.validation))
    let validationPeople = Set(split.validation.map { groups[$0] })
    let trainingPeople = Set(split.training.map { groups[$0] })
    XCTAssertTrue(validationPeople.isDisjoint(with: trainingPeople))
    XCTAssertEqual(validationPeople.count, 10)  // round(0.25 * 40)
    // The choice depends on names only, not on row order.
    XCTAssertEqual(Set(DataSplit.byGroups(groups.reversed(), fraction: 0.25).validation.map { groups.reversed()[$0] }),
      validationPeople)
  }

  func testFNV1aMatchesReference() {
    XCTAssertEqual(DataSplit.fnv1a64(""), 0xCBF2_9CE4_8422_2325)
    XCTAssertEqual(DataSplit.fnv1a64("a"), 0xAF63_DC4C_8601_EC8C)
  }

  func testRandomSplitIsSeededAndComplete() {
    let a = DataSplit.random(count: 100, fraction: 0.2, seed: 1)
    XCTAssertEqual(a.validation.count, 20)
    XCTAssertEqual(Set(a.training + a.validation), Set(0..<100))
    XCTAssertEqual(a, DataSplit.random(count: 100, fraction: 0.2, seed: 1))
    XCTAssertNotEqual(a, DataSplit.random(count: 100, fraction: 0.2, seed: 2))
  }

  func testReadGroupsFindsColumnAndRejectsShortRows() throws {
    let fixtures = try Fixtures()
    let url = try fixtures.write("groups.csv", "image,source,identity,x0\na.jpg,ytf,Ann,1\nb.jpg,ytf,Bob,2\nc.jpg,afw,afw:c,3\n")
    XCTAssertEqual(try DataSplit.readGroups(path: url.path), ["Ann", "Bob", "afw:c"])
    let last = try fixtures.write("last.csv", "image,identity\na.jpg,Ann\n")
    XCTAssertEqual(try DataSplit.readGroups(path: last.path), ["Ann"])
    let bad = try fixtures.write("bad.csv", "image,source,identity\na.jpg,ytf,Ann\nb.jpg\n")
    XCTAssertThrowsError(try DataSplit.readGroups(path: bad.path)) { XCTAssertEqual(($0 as? KaggleCSVError)?.line, 3) }
    let none = try fixtures.write("none.csv", "image,source\na.jpg,ytf\n")
    XCTAssertThrowsError(try DataSplit.readGroups(path: none.path)) {
      XCTAssertTrue(String(describing: $0).contains("no \"identity\" column"))
    }
  }
}

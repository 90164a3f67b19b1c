import KeyfaceNN
import XCTest

@testable import KeyfaceTraining

final class KeypointErrorsTests: XCTestCase {
  func testRMSEOverPresentCoordinatesOnly() {
    var errors = KeypointErrors()
    var truth = [Float](repeating: 50, count: 30)
    var predicted = truth
    var mask = [Float](repeating: 0, count: 30)
    // Face 1: left_eye_center off by (3, 4); nose_tip x off by 1 (y exact); a missing point badly wrong.
    predicted[0] = 53
    predicted[1] = 54
    mask[0] = 1
    mask[1] = 1
    predicted[20] = 51
    mask[20] = 1
    mask[21] = 1
    predicted[4] = 90  // masked: must not count
    errors.add(predicted: predicted, truth: truth, mask: mask)
    // Face 2: one coordinate present, exact.
    truth[0] = 10
    predicted[0] = 10
    errors.add(predicted: predicted, truth: truth, mask: [1] + [Float](repeating: 0, count: 29))
    XCTAssertEqual(errors.count, 5)
    XCTAssertEqual(errors.faces, 2)
    XCTAssertEqual(errors.rmse, ((9.0 + 16 + 1) / 5).squareRoot(), accuracy: 1e-9)
    XCTAssertEqual(errors.perKeypoint["left_eye_center"]!, ((9.0 + 16) / 3).squareRoot(), accuracy: 1e-9)
    XCTAssertEqual(errors.perKeypoint["nose_tip"]!, (1.0 / 2).squareRoot(), accuracy: 1e-9)
    XCTAssertNil(errors.perKeypoint["left_eye_inner_corner"])
    let json = try! JSONSerialization.jsonObject(with: errors.json.data(using: .utf8)!) as! [String: Any]
    XCTAssertEqual(json["count"] as? Int, 5)
    XCTAssertEqual(json["rmse"] as! Double, errors.rmse, accuracy: 1e-4)
    XCTAssertEqual((json["per_keypoint"] as! [String: Double]).count, 2)
  }

  func testSubmissionClampsAndFollowsLookup() throws {
    let fixtures = try Fixtures()
    let lookup = try fixtures.write(
      "IdLookupTable.csv", "RowId,ImageId,FeatureName,Location\n1,9,left_eye_center_x,\n2,7,nose_tip_y,\n3,9,mouth_left_corner_y,\n")
    var test = KaggleDataset(hasKeypoints: false)
    test.append(pixels: Fixtures.pixels(seed: 0), coordinates: [Float](repeating: 0, count: 30),
      mask: [Float](repeating: 0, count: 30), imageId: 7)
    test.append(pixels: Fixtures.pixels(seed: 1), coordinates: [Float](repeating: 0, count: 30),
      mask: [Float](repeating: 0, count: 30), imageId: 9)
    var predicted = [Float](repeating: 0, count: 60)
    predicted[21] = 55.5  // face ImageId 7, nose_tip_y
    predicted[30] = -3  // face ImageId 9, left_eye_center_x: clamped to 0
    predicted[30 + 23] = 120  // mouth_left_corner_y: clamped to 96
    let csv = try KaggleSubmission(lookupPath: lookup.path).csv(test: test, predicted: predicted)
    XCTAssertEqual(csv, "RowId,Location\n1,0.0000\n2,55.5000\n3,96.0000\n")
    let bad = try fixtures.write("bad.csv", "RowId,ImageId,FeatureName,Location\n1,9,nose_tip_z,\n")
    XCTAssertThrowsError(try KaggleSubmission(lookupPath: bad.path)) { XCTAssertEqual(($0 as? KaggleCSVError)?.line, 2) }
    let unknown = try fixtures.write("unknown.csv", "RowId,ImageId,FeatureName,Location\n1,5,nose_tip_x,\n")
    XCTAssertThrowsError(try KaggleSubmission(lookupPath: unknown.path).csv(test: test, predicted: predicted))
  }
}

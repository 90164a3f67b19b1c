import Foundation
import KeyfaceMedia
import XCTest

@testable import KeyfaceDetection
@testable import KeyfaceFaces

/// The cascade reader (both OpenCV formats), the integral image and the window evaluator.
final class HaarCascadeTests: XCTestCase {
  // A 6×6 cascade computed by hand in `testTinyCascadeAgainstHandComputation`.
  // Feature 0: -1·(whole window) + 2·(left half). Feature 1: -1·(top half) + 1·(bottom half).
  static func tinyCascadeXML(secondStageThreshold: Double = 1.3, firstTree: String? = nil) -> String {
    let firstWeak =
      firstTree
        ?? """
        <_><internalNodes>0 -1 0 2.0</internalNodes><leafValues>-1.0 1.0</leafValues></_>
        """
    return """
      <?xml version="1.0"?>
      <opencv_storage>
      <cascade type_id="opencv-cascade-classifier"><stageType>BOOST</stageType>
        <featureType>HAAR</featureType><height>6</height><width>6</width>
        <stageParams><maxWeakCount>2</maxWeakCount></stageParams>
        <featureParams><maxCatCount>0</maxCatCount></featureParams>
        <stageNum>2</stageNum>
        <stages>
          <_><maxWeakCount>2</maxWeakCount><stageThreshold>1.0</stageThreshold>
            <weakClassifiers>
              \(firstWeak)
              <_><internalNodes>0 -1 1 0.5</internalNodes><leafValues>0.25 -0.5</leafValues></_>
            </weakClassifiers></_>
          <_><maxWeakCount>1</maxWeakCount><stageThreshold>\(secondStageThreshold)</stageThreshold>
            <weakClassifiers>
              <_><internalNodes>0 -1 0 2.0</internalNodes><leafValues>0.0 1.2</leafValues></_>
            </weakClassifiers></_>
        </stages>
        <features>
          <_><rects><_>0 0 6 6 -1.</_><_>0 0 3 6 2.</_></rects></_>
          <_><rects><_>0 0 6 3 -1.</_><_>0 3 6 3 1.</_></rects><tilted>0</tilted></_>
        </features>
      </cascade>
      </opencv_storage>
      """
  }

  /// Left half 200, right half 50: inner 4×4 has mean 125 and σ 75, so area·σ = 16·75 = 1200.
  static let halfImage = GrayImage(
    width: 6, height: 6, pixels: (0..<36).map { $0 % 6 < 3 ? 200 : 50 })

  func outcome(_ cascade: HaarCascade, _ image: GrayImage) -> HaarCascadeEvaluator.Outcome {
    let integral = IntegralImage(image)
    let evaluator = HaarCascadeEvaluator(cascade: cascade, stride: integral.stride)
    return integral.sums.withUnsafeBufferPointer { s in
      integral.squares.withUnsafeBufferPointer { q in
        evaluator.evaluate(sums: s.baseAddress!, squares: q.baseAddress!, origin: 0)
      }
    }
  }

  func testTinyCascadeAgainstHandComputation() throws {
    // Feature 0 = -(18·200 + 18·50) + 2·(18·200) = 2700, normalised 2700 / 1200 = 2.25 ≥ 2.0: right leaf, +1.
    // Feature 1 = -(top 3 rows) + (bottom 3 rows) = 0 < 0.5: left leaf, +0.25.
    // Stage 0: 1.25 ≥ 1.0 passes. Stage 1: feature 0 again, 2.25 ≥ 2.0 gives 1.2.
    let passing = try HaarCascade(xml: Data(Self.tinyCascadeXML(secondStageThreshold: 1.1).utf8))
    XCTAssertEqual(outcome(passing, Self.halfImage), .face)
    let failing = try HaarCascade(xml: Data(Self.tinyCascadeXML(secondStageThreshold: 1.3).utf8))
    XCTAssertEqual(outcome(failing, Self.halfImage), .rejected(stage: 1))

    // Mirrored picture: feature 0 = -4500 + 2·900 = -2700 → -2.25 < 2.0, left leaf -1; stage 0 sums -0.75.
    let mirrored = GrayImage(width: 6, height: 6, pixels: (0..<36).map { $0 % 6 < 3 ? 50 : 200 })
    XCTAssertEqual(outcome(passing, mirrored), .rejectedAtFirstStage)

    // A flat window (σ = 0) and a low-contrast one (σ = 5 ≤ 10) are rejected before any stage.
    XCTAssertEqual(outcome(passing, GrayImage(width: 6, height: 6, fill: 90)), .rejected(stage: -1))
    let lowContrast = GrayImage(width: 6, height: 6, pixels: (0..<36).map { $0 % 6 < 3 ? 130 : 120 })
    XCTAssertEqual(outcome(passing, lowContrast), .rejected(stage: -1))
  }

  func testTreeWeakClassifier() throws {
    // Node 0 splits on feature 0 at 3.0 (2.25 < 3.0: go to node 1); node 1 on feature 1 at 0.5 (0 < 0.5:
    // leaf 0). Leaves: 0.9 (node 1 left), 0.1 (node 0 right), -0.2 (node 1 right). Stage 0: 0.9 + 0.25 ≥ 1.0.
    let tree = "<_><internalNodes>1 -1 0 3.0 0 -2 1 0.5</internalNodes><leafValues>0.9 0.1 -0.2</leafValues></_>"
    let cascade = try HaarCascade(xml: Data(Self.tinyCascadeXML(secondStageThreshold: 1.1, firstTree: tree).utf8))
    XCTAssertFalse(cascade.isStumpBased)
    XCTAssertEqual(outcome(cascade, Self.halfImage), .face)
    // Leaf 0.1 instead (node 0 threshold 2.0 sends 2.25 right): 0.1 + 0.25 < 1.0.
    let right = "<_><internalNodes>1 -1 0 2.0 0 -2 1 0.5</internalNodes><leafValues>0.9 0.1 -0.2</leafValues></_>"
    let other = try HaarCascade(xml: Data(Self.tinyCascadeXML(secondStageThreshold: 1.1, firstTree: right).utf8))
    XCTAssertEqual(outcome(other, Self.halfImage), .rejectedAtFirstStage)
  }

  func testOldFormatMatchesNewFormat() throws {
    let old = """
      <?xml version="1.0"?>
      <opencv_storage>
      <tiny type_id="opencv-haar-classifier">
        <size>6 6</size>
        <stages>
          <_>
            <!-- stage 0 -->
            <trees>
              <_><_>
                <feature><rects><_>0 0 6 6 -1.</_><_>0 0 3 6 2.</_></rects><tilted>0</tilted></feature>
                <threshold>2.0</threshold><left_val>-1.0</left_val><right_val>1.0</right_val></_></_>
              <_><_>
                <feature><rects><_>0 0 6 3 -1.</_><_>0 3 6 3 1.</_></rects><tilted>0</tilted></feature>
                <threshold>0.5</threshold><left_val>0.25</left_val><right_val>-0.5</right_val></_></_>
            </trees>
            <stage_threshold>1.0</stage_threshold><parent>-1</parent><next>-1</next></_>
          <_>
            <trees>
              <_><_>
                <feature><rects><_>0 0 6 6 -1.</_><_>0 0 3 6 2.</_></rects><tilted>0</tilted></feature>
                <threshold>2.0</threshold><left_val>0.0</left_val><right_val>1.2</right_val></_></_>
            </trees>
            <stage_threshold>1.3</stage_threshold><parent>0</parent><next>-1</next></_>
        </stages>
      </tiny>
      </opencv_storage>
      """
    let a = try HaarCascade(xml: Data(old.utf8))
    let b = try HaarCascade(xml: Data(Self.tinyCascadeXML().utf8))
    XCTAssertEqual(a.windowSize.width, 6)
    XCTAssertEqual(a.stages, b.stages)
    XCTAssertEqual(a.nodes.map(\.threshold), b.nodes.map(\.threshold))
    XCTAssertEqual(a.leaves, b.leaves)
    XCTAssertEqual(a.nodes.map { a.features[Int($0.feature)] }, b.nodes.map { b.features[Int($0.feature)] })
    XCTAssertEqual(outcome(a, Self.halfImage), .rejected(stage: 1))
  }

  func testOldFormatTreeWithChildNode() throws {
    let old = """
      <opencv_storage><t type_id="opencv-haar-classifier"><size>6 6</size><stages><_><trees><_>
        <_><feature><rects><_>0 0 6 6 -1.</_><_>0 0 3 6 2.</_></rects><tilted>0</tilted></feature>
          <threshold>3.0</threshold><left_node>1</left_node><right_val>0.1</right_val></_>
        <_><feature><rects><_>0 0 6 3 -1.</_><_>0 3 6 3 1.</_></rects><tilted>0</tilted></feature>
          <threshold>0.5</threshold><left_val>0.9</left_val><right_val>-0.2</right_val></_>
      </_></trees><stage_threshold>0.85</stage_threshold></_></stages></t></opencv_storage>
      """
    let cascade = try HaarCascade(xml: Data(old.utf8))
    XCTAssertEqual(cascade.trees.count, 1)
    XCTAssertEqual(cascade.trees[0].nodeCount, 2)
    XCTAssertEqual(outcome(cascade, Self.halfImage), .face)  // 2.25 < 3 → node 1 → 0 < 0.5 → 0.9 ≥ 0.85
  }

  func testOpenCVFrontalFaceCascade() throws {
    let path = HaarCascade.defaultPath
    guard FileManager.default.fileExists(atPath: path) else {
      throw XCTSkip("\(path) is missing: install Debian's opencv-data package")
    }
    let cascade = try HaarCascade(contentsOf: path)
    XCTAssertEqual(cascade.stageCount, 25)
    XCTAssertEqual(cascade.windowSize.width, 24)
    XCTAssertEqual(cascade.windowSize.height, 24)
    XCTAssertEqual(cascade.featureCount, 2913)
    XCTAssertEqual(cascade.trees.count, 2913)
    XCTAssertTrue(cascade.isStumpBased)
    XCTAssertEqual(cascade.stages[0].treeCount, 9)
    XCTAssertEqual(cascade.stages[0].threshold, -5.0425500869750977 - 1e-5, accuracy: 1e-6)
    XCTAssertEqual(cascade.stages[24].treeCount, 200)
    // First feature: "6 4 12 9 -1." and "6 7 12 3 3.".
    XCTAssertEqual(
      cascade.features[0].rects,
      [.init(x: 6, y: 4, width: 12, height: 9, weight: -1), .init(x: 6, y: 7, width: 12, height: 3, weight: 3)])
    XCTAssertEqual(cascade.nodes[0].threshold, -3.1511999666690826e-02, accuracy: 1e-9)
    XCTAssertEqual(cascade.leaves[0], 2.0875380039215088, accuracy: 1e-6)
  }

  func testErrorsNameTheFile() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("haar-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }

    func problem(_ path: String) -> String? {
      do {
        _ = try HaarCascade(contentsOf: path)
        return nil
      } catch let error as HaarCascade.LoadError {
        XCTAssertEqual(error.path, path)
        XCTAssertTrue(error.description.hasPrefix(path + ": "), error.description)
        XCTAssertFalse(error.description.contains("\n"))
        return error.problem
      } catch {
        XCTFail("unexpected error \(error)")
        return nil
      }
    }
    let missing = directory.appendingPathComponent("missing.xml").path
    XCTAssertEqual(problem(missing), "no such cascade file")

    let cases: [(String, String, String)] = [
      ("broken.xml", "<opencv_storage><cascade>", "never closed"),
      ("other.xml", "<html><body/></html>", "not an OpenCV cascade file"),
      ("lbp.xml", Self.tinyCascadeXML().replacingOccurrences(of: ">HAAR<", with: ">LBP<"), "not a Haar cascade"),
      (
        "tilted.xml", Self.tinyCascadeXML().replacingOccurrences(of: "<tilted>0</tilted>", with: "<tilted>1</tilted>"),
        "tilted"
      ),
      ("outside.xml", Self.tinyCascadeXML().replacingOccurrences(of: "0 3 6 3 1.", with: "0 3 6 4 1."), "outside"),
      ("badindex.xml", Self.tinyCascadeXML().replacingOccurrences(of: "0 -1 1 0.5", with: "0 -1 7 0.5"), "feature 7"),
      // Numbers that would trap where they become indices.
      ("huge.xml", Self.tinyCascadeXML().replacingOccurrences(of: "0 0 3 6 2.", with: "0 0 3e300 6 2."), "rect"),
      ("nan.xml", Self.tinyCascadeXML().replacingOccurrences(of: "0 0 3 6 2.", with: "0 0 nan 6 2."), "rect"),
      ("hugeindex.xml", Self.tinyCascadeXML().replacingOccurrences(of: "0 -1 1 0.5", with: "0 -1 1e12 0.5"), "internalNodes"),
    ]
    for (name, text, expected) in cases {
      let path = directory.appendingPathComponent(name).path
      try Data(text.utf8).write(to: URL(fileURLWithPath: path))
      let message = problem(path)
      XCTAssertTrue(message?.contains(expected) == true, "\(name): \(message ?? "no error")")
    }
  }

  func testIntegralImageMatchesNaiveSums() {
    var generator = SystemRandomNumberGenerator()
    let width = 37
    let height = 23
    let image = GrayImage(
      width: width, height: height,
      pixels: (0..<(width * height)).map { _ in UInt8.random(in: 0...255, using: &generator) })
    var integral = IntegralImage()
    image.pixels.withUnsafeBufferPointer {
      integral.compute(pixels: $0, width: width, height: height, stride: width + 9)
    }
    XCTAssertEqual(integral.stride, width + 9)
    for _ in 0..<200 {
      let x = Int.random(in: 0..<width)
      let y = Int.random(in: 0..<height)
      let w = Int.random(in: 0...(width - x))
      let h = Int.random(in: 0...(height - y))
      var sum = 0
      var squares = 0
      for yy in y..<(y + h) {
        for xx in x..<(x + w) {
          let v = Int(image[xx, yy])
          sum += v
          squares += v * v
        }
      }
      XCTAssertEqual(integral.sum(x: x, y: y, width: w, height: h), sum)
      XCTAssertEqual(integral.sumOfSquares(x: x, y: y, width: w, height: h), squares)
    }
  }

  func testIntegralImageWrapsWithoutLosingWindowSums() {
    // 400×400 of 255 has a squared total of 6.5e9 > 2^32; window sums must still be exact.
    let image = GrayImage(width: 400, height: 400, fill: 255)
    let integral = IntegralImage(image)
    XCTAssertEqual(integral.sumOfSquares(x: 370, y: 371, width: 24, height: 24), 576 * 255 * 255)
    XCTAssertEqual(integral.sum(x: 376, y: 376, width: 24, height: 24), 576 * 255)
  }
}

// A boosted cascade of Haar-like features as trained by OpenCV, read from its XML files.
//
// Both formats OpenCV ships are read: the "new" one written by opencv_traincascade
// (`<cascade><stageType>BOOST</stageType><featureType>HAAR</featureType>…`, with a shared
// feature table) and the "old" one of opencv_haartraining (`<size>`, `<trees>`, features inline,
// `left_val`/`left_node`). Both become the same tables: stages of weak classifiers, each a
// small decision tree over features, leaves holding the votes. LBP and HOG cascades and
// tilted (45°) Haar features are rejected with an error; the frontal face cascades have none.
// Tree-structured cascades (`<parent>`/`<next>`) are read as a plain chain, as OpenCV 3+ does.
import Foundation

/// An OpenCV Haar cascade classifier, immutable once loaded and safe to share between threads.
public final class HaarCascade: Sendable {
  /// Where OpenCV's frontal face cascade lives once Debian's `opencv-data` package is installed.
  public static let defaultPath = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"

  /// A cascade file that cannot be used: a missing file, malformed XML or an unsupported cascade.
  public struct LoadError: Error, CustomStringConvertible {
    /// The file that failed, as given.
    public let path: String
    /// What is wrong with it, e.g. "not a Haar cascade (featureType LBP)".
    public let problem: String
    /// One line naming the file and the problem.
    public var description: String { "\(path): \(problem)" }
  }

  /// One rectangle of a Haar feature in window pixels, with its weight.
  struct WeightedRect: Sendable, Equatable {
    var x: Int32, y: Int32, width: Int32, height: Int32
    var weight: Float
  }

  /// A Haar-like feature: the weighted sum of two or three rectangle sums.
  struct Feature: Sendable, Equatable {
    var rects: [WeightedRect]
  }

  /// A decision-tree node: go `left` when the normalised feature value is below `threshold`.
  /// A child index above 0 is another node of the same tree; 0 or below is leaf `-index`.
  struct Node: Sendable, Equatable {
    var feature: Int32
    var threshold: Float
    var left: Int32
    var right: Int32
  }

  /// A weak classifier: a tree whose nodes and leaves start at these indices.
  struct Tree: Sendable, Equatable {
    var firstNode: Int32
    var nodeCount: Int32
    var firstLeaf: Int32
  }

  /// A stage: its trees' leaf votes are summed and the window passes when the sum reaches `threshold`.
  struct Stage: Sendable, Equatable {
    var threshold: Float
    var firstTree: Int
    var treeCount: Int
  }

  /// The file it was read from.
  public let path: String
  let windowWidth: Int
  let windowHeight: Int
  let features: [Feature]
  let nodes: [Node]
  let leaves: [Float]
  let trees: [Tree]
  let stages: [Stage]

  /// The detection window the cascade was trained on, e.g. 24×24 pixels.
  public var windowSize: (width: Int, height: Int) { (windowWidth, windowHeight) }

  /// How many stages a window must pass, e.g. 25.
  public var stageCount: Int { stages.count }

  /// How many distinct features the cascade evaluates, e.g. 2913.
  public var featureCount: Int { features.count }

  /// True when every weak classifier is a single split (a stump), which allows a faster loop.
  var isStumpBased: Bool { trees.allSatisfy { $0.nodeCount == 1 } }

  /// Reads a cascade from an OpenCV XML file.
  /// - Throws: `LoadError` naming the file for a missing file, malformed XML or an unsupported cascade.
  public convenience init(contentsOf path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      let exists = FileManager.default.fileExists(atPath: path)
      throw LoadError(path: path, problem: exists ? "cannot read the cascade file" : "no such cascade file")
    }
    try self.init(xml: data, path: path)
  }

  /// Reads a cascade from the bytes of an OpenCV XML file; `path` only names it in errors.
  /// - Throws: `LoadError` for malformed XML or an unsupported cascade.
  public init(xml data: Data, path: String = "<cascade>") throws {
    let root: HaarCascadeXMLNode
    do {
      root = try HaarCascadeXMLNode.parse(data)
    } catch let error as HaarCascadeXMLError {
      throw LoadError(path: path, problem: "not a valid XML file (\(error.message))")
    }
    guard root.name == "opencv_storage", let cascade = root.children.first else {
      throw LoadError(path: path, problem: "not an OpenCV cascade file (no <opencv_storage> element)")
    }
    var tables = Tables()
    do {
      if cascade.child("stageType") != nil || cascade.child("featureType") != nil {
        try tables.readNewFormat(cascade)
      } else if cascade.child("size") != nil {
        try tables.readOldFormat(cascade)
      } else {
        throw Tables.Problem("not an OpenCV cascade (neither <stageType> nor <size> found)")
      }
      try tables.validate()
    } catch let problem as Tables.Problem {
      throw LoadError(path: path, problem: problem.message)
    }
    self.path = path
    windowWidth = tables.width
    windowHeight = tables.height
    features = tables.features
    nodes = tables.nodes
    leaves = tables.leaves
    trees = tables.trees
    stages = tables.stages
  }

  /// Builds a cascade from tables directly (for tests of the evaluator).
  init(
    path: String, windowWidth: Int, windowHeight: Int, features: [Feature], nodes: [Node],
    leaves: [Float], trees: [Tree], stages: [Stage]
  ) {
    self.path = path
    self.windowWidth = windowWidth
    self.windowHeight = windowHeight
    self.features = features
    self.nodes = nodes
    self.leaves = leaves
    self.trees = trees
    self.stages = stages
  }
}

// OpenCV lowers every stage threshold by this much when it loads a cascade (cascadedetect.cpp).
private let stageThresholdEpsilon: Float = 1e-5

/// The tables being filled while a cascade file is read.
private struct Tables {
  struct Problem: Error {
    let message: String
    init(_ message: String) { self.message = message }
  }

  var width = 0
  var height = 0
  var features: [HaarCascade.Feature] = []
  var nodes: [HaarCascade.Node] = []
  var leaves: [Float] = []
  var trees: [HaarCascade.Tree] = []
  var stages: [HaarCascade.Stage] = []

  /// opencv_traincascade's format: stages of `internalNodes`/`leafValues`, then a feature table.
  mutating func readNewFormat(_ cascade: HaarCascadeXMLNode) throws {
    let stageType = cascade.childText("stageType") ?? ""
    guard stageType == "BOOST" else { throw Problem("unsupported stageType '\(stageType)' (only BOOST)") }
    let featureType = cascade.childText("featureType") ?? ""
    guard featureType == "HAAR" else {
      throw Problem("not a Haar cascade (featureType '\(featureType)'; only HAAR is supported)")
    }
    guard let w = cascade.childText("width").flatMap({ Int($0) }),
      let h = cascade.childText("height").flatMap({ Int($0) })
    else { throw Problem("missing or invalid <width>/<height>") }
    width = w
    height = h
    if let categories = cascade.child("featureParams")?.childText("maxCatCount"), Int(categories) ?? 0 != 0 {
      throw Problem("categorical features (maxCatCount \(categories)) are not supported")
    }
    guard let stageList = cascade.child("stages") else { throw Problem("missing <stages>") }
    for (stageIndex, stageNode) in stageList.children.enumerated() {
      guard let threshold = stageNode.childText("stageThreshold").flatMap({ Float($0) }) else {
        throw Problem("stage \(stageIndex): missing or invalid <stageThreshold>")
      }
      guard let weakList = stageNode.child("weakClassifiers") else {
        throw Problem("stage \(stageIndex): missing <weakClassifiers>")
      }
      let firstTree = trees.count
      for weak in weakList.children {
        guard let splits = weak.child("internalNodes")?.numbers(), !splits.isEmpty,
          splits.count % 4 == 0,
          let leafValues = weak.child("leafValues")?.numbers()
        else { throw Problem("stage \(stageIndex): invalid <internalNodes> or <leafValues>") }
        let nodeCount = splits.count / 4
        guard leafValues.count == nodeCount + 1 else {
          throw Problem("stage \(stageIndex): \(nodeCount) nodes need \(nodeCount + 1) leaf values")
        }
        trees.append(
          HaarCascade.Tree(firstNode: Int32(nodes.count), nodeCount: Int32(nodeCount), firstLeaf: Int32(leaves.count)))
        for n in 0..<nodeCount {
          let v = splits[(4 * n)..<(4 * n + 4)].map { $0 }
          nodes.append(
            HaarCascade.Node(feature: Int32(v[2]), threshold: Float(v[3]), left: Int32(v[0]), right: Int32(v[1])))
        }
        leaves += leafValues.map { Float($0) }
      }
      stages.append(
        HaarCascade.Stage(
          threshold: threshold - stageThresholdEpsilon, firstTree: firstTree, treeCount: trees.count - firstTree))
    }
    guard let featureList = cascade.child("features") else { throw Problem("missing <features>") }
    for (index, featureNode) in featureList.children.enumerated() {
      features.append(try Self.readFeature(featureNode, index: index))
    }
  }

  /// opencv_haartraining's format: `<size>`, stages of `<trees>` whose nodes hold their features inline.
  mutating func readOldFormat(_ cascade: HaarCascadeXMLNode) throws {
    let size = cascade.child("size")?.numbers() ?? []
    guard size.count == 2 else { throw Problem("invalid <size> (expected 'width height')") }
    width = Int(size[0])
    height = Int(size[1])
    guard let stageList = cascade.child("stages") else { throw Problem("missing <stages>") }
    for (stageIndex, stageNode) in stageList.children.enumerated() {
      guard let threshold = stageNode.childText("stage_threshold").flatMap({ Float($0) }) else {
        throw Problem("stage \(stageIndex): missing or invalid <stage_threshold>")
      }
      guard let treeList = stageNode.child("trees") else { throw Problem("stage \(stageIndex): missing <trees>") }
      let firstTree = trees.count
      for treeNode in treeList.children {
        let treeNodes = treeNode.children
        guard !treeNodes.isEmpty else { throw Problem("stage \(stageIndex): empty tree") }
        let firstNode = nodes.count
        let firstLeaf = leaves.count
        for node in treeNodes {
          guard let featureNode = node.child("feature"),
            let nodeThreshold = node.childText("threshold").flatMap({ Float($0) })
          else { throw Problem("stage \(stageIndex): tree node without <feature> or <threshold>") }
          features.append(try Self.readFeature(featureNode, index: features.count))
          func branch(_ side: String) throws -> Int32 {
            if let child = node.childText("\(side)_node").flatMap({ Int32($0) }) {
              guard child > 0, Int(child) < treeNodes.count else {
                throw Problem("stage \(stageIndex): \(side)_node \(child) outside its tree")
              }
              return child
            }
            guard let value = node.childText("\(side)_val").flatMap({ Float($0) }) else {
              throw Problem("stage \(stageIndex): tree node without <\(side)_val> or <\(side)_node>")
            }
            leaves.append(value)
            return -Int32(leaves.count - 1 - firstLeaf)
          }
          let left = try branch("left")
          let right = try branch("right")
          nodes.append(
            HaarCascade.Node(
              feature: Int32(features.count - 1), threshold: nodeThreshold, left: left, right: right))
        }
        trees.append(
          HaarCascade.Tree(
            firstNode: Int32(firstNode), nodeCount: Int32(nodes.count - firstNode), firstLeaf: Int32(firstLeaf)))
      }
      stages.append(
        HaarCascade.Stage(
          threshold: threshold - stageThresholdEpsilon, firstTree: firstTree, treeCount: trees.count - firstTree))
    }
  }

  static func readFeature(_ node: HaarCascadeXMLNode, index: Int) throws -> HaarCascade.Feature {
    if let tilted = node.childText("tilted"), tilted != "0" {
      throw Problem("feature \(index) is tilted (45°); tilted Haar features are not supported")
    }
    guard let rectList = node.child("rects") else { throw Problem("feature \(index): missing <rects>") }
    var rects: [HaarCascade.WeightedRect] = []
    for rectNode in rectList.children {
      guard let v = rectNode.numbers(), v.count == 5 else {
        throw Problem("feature \(index): a rect needs 'x y width height weight'")
      }
      rects.append(
        HaarCascade.WeightedRect(
          x: Int32(v[0]), y: Int32(v[1]), width: Int32(v[2]), height: Int32(v[3]), weight: Float(v[4])))
    }
    guard (1...3).contains(rects.count) else {
      throw Problem("feature \(index): \(rects.count) rects (1 to 3 allowed)")
    }
    return HaarCascade.Feature(rects: rects)
  }

  /// Checks every index and rectangle so the evaluator can use unchecked memory access.
  func validate() throws {
    guard width >= 3, height >= 3, width <= 1024, height <= 1024 else {
      throw Problem("invalid window size \(width)x\(height)")
    }
    guard !stages.isEmpty else { throw Problem("the cascade has no stages") }
    for (i, feature) in features.enumerated() {
      for r in feature.rects {
        guard r.x >= 0, r.y >= 0, r.width > 0, r.height > 0, Int(r.x + r.width) <= width,
          Int(r.y + r.height) <= height
        else {
          throw Problem("feature \(i): rect \(r.x) \(r.y) \(r.width) \(r.height) outside the \(width)x\(height) window")
        }
      }
    }
    for tree in trees {
      for n in Int(tree.firstNode)..<Int(tree.firstNode + tree.nodeCount) {
        let node = nodes[n]
        guard node.feature >= 0, Int(node.feature) < features.count else {
          throw Problem("node refers to feature \(node.feature) of \(features.count)")
        }
        for child in [node.left, node.right] {
          if child > 0 {
            guard child < tree.nodeCount else { throw Problem("node child \(child) outside its tree") }
          } else {
            guard Int(tree.firstLeaf) - Int(child) < leaves.count else { throw Problem("leaf \(-child) missing") }
          }
        }
      }
      // A child pointing back to an earlier node could loop forever; trees only point forward.
      for n in 0..<Int(tree.nodeCount) {
        let node = nodes[Int(tree.firstNode) + n]
        guard node.left <= 0 || Int(node.left) > n, node.right <= 0 || Int(node.right) > n else {
          throw Problem("a tree node points back to an earlier node")
        }
      }
    }
  }
}

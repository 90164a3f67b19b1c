// The inner loop of Viola–Jones detection: one cascade evaluated at one window position of
// an integral image, following OpenCV's HaarEvaluator and predictOrdered(Stump) exactly:
//  - the window's standard deviation is measured on its inner rectangle (1, 1, w-2, h-2);
//    a window with σ ≤ 10 grey levels is rejected outright (OpenCV 3+'s low-contrast rule);
//  - each feature value is Σ weight·rectSum / (innerArea · σ), compared with the node threshold;
//  - a stage passes when the sum of its trees' leaf votes reaches the stage threshold.
// Rectangle corners become offsets into the table once per row stride, so a window costs
// four loads per rectangle and no multiplications for addressing.
import Foundation

/// A cascade compiled for one integral-image row stride. Immutable; share it between threads freely.
struct HaarCascadeEvaluator: Sendable {
  /// What one window evaluation concluded, with OpenCV's conventions.
  enum Outcome: Equatable {
    /// The window passed every stage.
    case face
    /// Rejected by the first stage: OpenCV then skips the next window position too.
    case rejectedAtFirstStage
    /// Rejected by a later stage (its index), or by the low-contrast rule (stage -1).
    case rejected(stage: Int)
  }

  /// One tree node with its feature compiled in: corner offsets of three rectangles (an absent
  /// third rectangle has weight 0 and all offsets 0, so it adds nothing and needs no branch).
  struct CompiledNode {
    var offsets: (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32)
    var weights: (Float, Float, Float)
    /// The same weights as integers, used when every weight of the cascade is a whole number (OpenCV's are
    /// -1, 2 and 3): the weighted sum is then exact in Int32 and converted once.
    var integerWeights: (Int32, Int32, Int32)
    var threshold: Float
    /// Child indices (trees) as in `HaarCascade.Node`.
    var left: Int32
    var right: Int32
    /// For stumps: the votes of the two leaves, so the fast loop reads one record per tree.
    var leftVote: Float
    var rightVote: Float
  }

  let cascade: HaarCascade
  let stride: Int
  private let nodes: [CompiledNode]
  /// Corner offsets of the variance rectangle (1, 1, w-2, h-2).
  private let normOffsets: (Int, Int, Int, Int)
  private let normArea: Double
  private let stumps: Bool
  private let wholeWeights: Bool

  init(cascade: HaarCascade, stride: Int) {
    self.cascade = cascade
    self.stride = stride
    stumps = cascade.isStumpBased
    var compiled: [CompiledNode] = []
    compiled.reserveCapacity(cascade.nodes.count)
    for (index, node) in cascade.nodes.enumerated() {
      var o = [Int32](repeating: 0, count: 12)
      var w: [Float] = [0, 0, 0]
      for (r, rect) in cascade.features[Int(node.feature)].rects.enumerated() {
        let top = Int(rect.y) * stride + Int(rect.x)
        let bottom = Int(rect.y + rect.height) * stride + Int(rect.x)
        o[r * 4] = Int32(top)
        o[r * 4 + 1] = Int32(top + Int(rect.width))
        o[r * 4 + 2] = Int32(bottom)
        o[r * 4 + 3] = Int32(bottom + Int(rect.width))
        w[r] = rect.weight
      }
      let leftVote = stumps ? cascade.leaves[2 * index] : 0
      let rightVote = stumps ? cascade.leaves[2 * index + 1] : 0
      compiled.append(
        CompiledNode(
          offsets: (o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10], o[11]),
          weights: (w[0], w[1], w[2]), integerWeights: (Int32(w[0]), Int32(w[1]), Int32(w[2])), threshold: node.threshold, left: node.left, right: node.right,
          leftVote: leftVote, rightVote: rightVote))
    }
    nodes = compiled
    // Rectangle sums of a 24x24 window are below 2^18, so three of them times weights up to 2^8 fit Int32.
    wholeWeights = cascade.features.allSatisfy { feature in
      feature.rects.allSatisfy { $0.weight == $0.weight.rounded() && abs($0.weight) <= 256 }
    }
    let w = cascade.windowWidth - 2
    let h = cascade.windowHeight - 2
    normOffsets = (stride + 1, stride + 1 + w, (h + 1) * stride + 1, (h + 1) * stride + 1 + w)
    normArea = Double(w * h)
  }

  /// Evaluates the window whose top-left corner is at table index `origin` (y · stride + x).
  /// The caller guarantees the whole window lies inside the tables.
  func evaluate(sums: UnsafePointer<Int32>, squares: UnsafePointer<UInt32>, origin: Int) -> Outcome {
    withTables { tables in
      let result = run(sums + origin, squares + origin, tables)
      return result > 0
        ? .face : result == 0 ? .rejectedAtFirstStage : .rejected(stage: result == -1 ? -1 : -result - 1)
    }
  }

  /// Scans every window of one pyramid level as OpenCV's CascadeClassifierInvoker does: rows
  /// and columns `step` apart, and one extra column skipped after a first-stage rejection.
  /// - Parameters:
  ///   - width: Width of the level in pixels; the tables must use this evaluator's stride.
  ///   - height: Height of the level in pixels.
  ///   - found: Called with the (x, y) of each window that passes every stage.
  func scan(
    sums: UnsafePointer<Int32>, squares: UnsafePointer<UInt32>, width: Int, height: Int, step: Int,
    found: (Int, Int) -> Void
  ) {
    let lastX = width - cascade.windowWidth
    let lastY = height - cascade.windowHeight
    guard lastX >= 0, lastY >= 0 else { return }
    withTables { tables in
      var y = 0
      while y <= lastY {
        let row = y * stride
        var x = 0
        while x <= lastX {
          let result = run(sums + row + x, squares + row + x, tables)
          if result > 0 {
            found(x, y)
          } else if result == 0 {
            x += step
          }
          x += step
        }
        y += step
      }
    }
  }

  /// Raw pointers to every table, valid inside `body`.
  private struct Tables {
    let nodes: UnsafePointer<CompiledNode>
    let leaves: UnsafePointer<Float>
    let trees: UnsafePointer<HaarCascade.Tree>
    let stages: UnsafeBufferPointer<HaarCascade.Stage>
  }

  @inline(__always)
  private func withTables<R>(_ body: (Tables) -> R) -> R {
    nodes.withUnsafeBufferPointer { n in
      cascade.leaves.withUnsafeBufferPointer { l in
        cascade.trees.withUnsafeBufferPointer { t in
          cascade.stages.withUnsafeBufferPointer { st in
            body(Tables(nodes: n.baseAddress!, leaves: l.baseAddress!, trees: t.baseAddress!, stages: st))
          }
        }
      }
    }
  }

  /// 1 for a face, 0 for a first-stage rejection, -1 for a low-contrast window,
  /// -(k + 1) for a rejection at stage k ≥ 1.
  @inline(__always)
  private func run(_ s: UnsafePointer<Int32>, _ q: UnsafePointer<UInt32>, _ tables: Tables) -> Int {
    let windowSum = s[normOffsets.3] &- s[normOffsets.2] &- s[normOffsets.1] &+ s[normOffsets.0]
    let windowSquares = q[normOffsets.3] &- q[normOffsets.2] &- q[normOffsets.1] &+ q[normOffsets.0]
    let spread = normArea * Double(windowSquares) - Double(windowSum) * Double(windowSum)
    guard spread > 0 else { return -1 }
    let norm = Float(1 / spread.squareRoot())  // 1 / (area · σ)
    guard normArea * Double(norm) < 0.1 else { return -1 }
    if stumps {
      return wholeWeights ? runStumps(s, norm, tables, whole: true) : runStumps(s, norm, tables, whole: false)
    }
    return runTrees(s, norm, tables)
  }

  /// The normalised value of a node's feature at the window whose table origin is `s`.
  @inline(__always)
  private static func featureValue(_ n: UnsafePointer<CompiledNode>, _ s: UnsafePointer<Int32>, _ norm: Float) -> Float
  {
    let o = n.pointee.offsets
    let w = n.pointee.weights
    let r0 = s[Int(o.3)] &- s[Int(o.2)] &- s[Int(o.1)] &+ s[Int(o.0)]
    let r1 = s[Int(o.7)] &- s[Int(o.6)] &- s[Int(o.5)] &+ s[Int(o.4)]
    let r2 = s[Int(o.11)] &- s[Int(o.10)] &- s[Int(o.9)] &+ s[Int(o.8)]
    return (w.0 * Float(r0) + w.1 * Float(r1) + w.2 * Float(r2)) * norm
  }

  /// The normalised feature value with integer weights: one conversion instead of three.
  @inline(__always)
  private static func wholeFeatureValue(_ n: UnsafePointer<CompiledNode>, _ s: UnsafePointer<Int32>, _ norm: Float)
    -> Float
  {
    let o = n.pointee.offsets
    let w = n.pointee.integerWeights
    let r0 = s[Int(o.3)] &- s[Int(o.2)] &- s[Int(o.1)] &+ s[Int(o.0)]
    let r1 = s[Int(o.7)] &- s[Int(o.6)] &- s[Int(o.5)] &+ s[Int(o.4)]
    let r2 = s[Int(o.11)] &- s[Int(o.10)] &- s[Int(o.9)] &+ s[Int(o.8)]
    return Float(w.0 &* r0 &+ w.1 &* r1 &+ w.2 &* r2) * norm
  }

  @inline(__always)
  private func runStumps(_ s: UnsafePointer<Int32>, _ norm: Float, _ tables: Tables, whole: Bool) -> Int {
    // With one node per tree, tree t is node t.
    for stageIndex in 0..<tables.stages.count {
      let stage = tables.stages[stageIndex]
      var vote: Float = 0
      var n = tables.nodes + stage.firstTree
      let end = n + stage.treeCount
      while n < end {
        let value = whole ? Self.wholeFeatureValue(n, s, norm) : Self.featureValue(n, s, norm)
        vote += value < n.pointee.threshold ? n.pointee.leftVote : n.pointee.rightVote
        n += 1
      }
      if vote < stage.threshold {
        return stageIndex == 0 ? 0 : -(stageIndex + 1)
      }
    }
    return 1
  }

  private func runTrees(_ s: UnsafePointer<Int32>, _ norm: Float, _ tables: Tables) -> Int {
    for stageIndex in 0..<tables.stages.count {
      let stage = tables.stages[stageIndex]
      var vote: Float = 0
      for t in stage.firstTree..<(stage.firstTree + stage.treeCount) {
        let tree = tables.trees[t]
        var index: Int32 = 0
        repeat {
          let node = tables.nodes + Int(tree.firstNode + index)
          let value = Self.featureValue(node, s, norm)
          index = value < node.pointee.threshold ? node.pointee.left : node.pointee.right
        } while index > 0
        vote += tables.leaves[Int(tree.firstLeaf - index)]
      }
      if vote < stage.threshold {
        return stageIndex == 0 ? 0 : -(stageIndex + 1)
      }
    }
    return 1
  }
}

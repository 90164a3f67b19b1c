// OpenCV's groupRectangles: raw cascade hits are partitioned into classes of similar
// rectangles (transitively), each class is averaged, classes with too few members are dropped,
// and a class lying inside a stronger one is dropped too.

extension FaceDetector {
  /// A merged detection: the mean of its members and how many raw hits it merged.
  struct Group: Equatable {
    var box: FaceBox
    var neighbors: Int
  }

  /// OpenCV's SimilarRects: every edge of one rectangle within `eps` · mean size of the other's.
  static func similar(_ a: FaceBox, _ b: FaceBox, eps: Float) -> Bool {
    let delta = eps * (min(a.width, b.width) + min(a.height, b.height)) * 0.5
    return abs(a.x - b.x) <= delta && abs(a.y - b.y) <= delta
      && abs(a.x + a.width - b.x - b.width) <= delta && abs(a.y + a.height - b.y - b.height) <= delta
  }

  /// Merges raw hits as cv::groupRectangles(rects, minNeighbors, eps) does.
  ///
  /// With `minNeighbors` 0 nothing is merged (each hit is its own group of 1), as in OpenCV.
  static func groupRectangles(_ rects: [FaceBox], minNeighbors: Int, eps: Float) -> [Group] {
    if minNeighbors <= 0 || rects.isEmpty {
      return rects.map { Group(box: $0, neighbors: 1) }
    }
    // Union-find over the similarity relation (cv::partition).
    var parent = Array(0..<rects.count)
    func find(_ i: Int) -> Int {
      var i = i
      while parent[i] != i {
        parent[i] = parent[parent[i]]
        i = parent[i]
      }
      return i
    }
    for i in 0..<rects.count {
      for j in (i + 1)..<rects.count where similar(rects[i], rects[j], eps: eps) {
        let a = find(i)
        let b = find(j)
        if a != b { parent[b] = a }
      }
    }
    var classOf: [Int: Int] = [:]
    var sums: [SIMD4<Float>] = []
    var counts: [Int] = []
    for (i, rect) in rects.enumerated() {
      let root = find(i)
      let label: Int
      if let known = classOf[root] {
        label = known
      } else {
        label = sums.count
        classOf[root] = label
        sums.append(.zero)
        counts.append(0)
      }
      sums[label] += SIMD4(rect.x, rect.y, rect.width, rect.height)
      counts[label] += 1
    }
    let means = zip(sums, counts).map { sum, count -> FaceBox in
      let m = sum / Float(count)
      return FaceBox(x: m.x, y: m.y, width: m.z, height: m.w)
    }
    var groups: [Group] = []
    for i in means.indices where counts[i] > minNeighbors {
      let r1 = means[i]
      let n1 = counts[i]
      var insideAnother = false
      for j in means.indices where j != i && counts[j] > minNeighbors {
        let r2 = means[j]
        let n2 = counts[j]
        let dx = (r2.width * eps).rounded()
        let dy = (r2.height * eps).rounded()
        if r1.x >= r2.x - dx && r1.y >= r2.y - dy && r1.x + r1.width <= r2.x + r2.width + dx
          && r1.y + r1.height <= r2.y + r2.height + dy && (n2 > max(3, n1) || n1 < 3)
        {
          insideAnother = true
          break
        }
      }
      if !insideAnother {
        groups.append(Group(box: r1, neighbors: n1))
      }
    }
    return groups
  }

  /// Keeps the strongest of detections from several passes that cover the same face: a group is dropped
  /// when its centre lies inside a stronger kept box, or the other way round.
  static func suppressDuplicates(_ groups: [Group]) -> [Group] {
    var kept: [Group] = []
    for group in groups.sorted(by: { $0.neighbors > $1.neighbors }) {
      let duplicate = kept.contains { other in
        contains(other.box, group.box.center) || contains(group.box, other.box.center)
      }
      if !duplicate { kept.append(group) }
    }
    return kept
  }

  private static func contains(_ box: FaceBox, _ point: SIMD2<Float>) -> Bool {
    point.x >= box.x && point.x <= box.x + box.width && point.y >= box.y && point.y <= box.y + box.height
  }
}

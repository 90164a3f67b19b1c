// Multi-scale face detection with a Haar cascade, the way OpenCV's CascadeClassifier::detectMultiScale
// does it on the CPU: the frame is resized to a pyramid of scales (bilinear, like INTER_LINEAR), a
// fixed-size window slides over each level (2-pixel steps while the scale is below 2, 1-pixel steps
// above), and the raw hits are merged by groupRectangles (eps 0.2, minNeighbors).
//
// The scales are OpenCV's (scaleFactor^k, keeping those whose window is at least minFaceSize wide),
// so the smallest level is the frame shrunk until a minFaceSize face fills the cascade window, and
// no time is spent on smaller faces. Optional extra passes run on the frame rotated about its centre
// (e.g. ±20°) for tilted heads; their boxes come back upright, centred on the face, and a face found
// by several passes is kept once (the pass with the most neighbours wins).
// Each call allocates its own buffers, so one detector may serve several threads at once.
import Dispatch
import Foundation
import KeyfaceMedia

/// Finds frontal faces in greyscale frames with a Haar cascade; thread-safe (no mutable state).
public final class FaceDetector: Sendable {
  /// The cascade evaluated at every window.
  public let cascade: HaarCascade
  /// Smallest face width looked for, in frame pixels, e.g. 40.
  public let minFaceSize: Int
  /// Ratio between successive pyramid scales, e.g. 1.1.
  public let scaleFactor: Float
  /// Raw hits a face needs beyond the first to be kept (OpenCV's minNeighbors), e.g. 3.
  public let minNeighbors: Int
  /// Extra passes on the frame rotated about its centre by these angles in degrees, e.g. [-20, 20],
  /// to find tilted heads the upright cascade misses; each pass costs about one more detection.
  public let rotations: [Float]
  /// Window step in pyramid-level pixels at every scale, or nil for OpenCV's rule (2 below scale 2, else 1).
  /// A step of 2 makes large frames about 3× faster and finds nearly the same faces (fewer neighbours each).
  public let windowStep: Int?

  /// Rectangles closer than this fraction of their size are merged (OpenCV's GROUP_EPS).
  static let groupingEps: Float = 0.2

  /// A detector over a loaded cascade.
  /// - Parameters:
  ///   - minFaceSize: Smallest face width to find, in frame pixels; at least the cascade's window width is used.
  ///   - scaleFactor: Scale step of the pyramid, above 1 (1.1 as OpenCV's default; larger is faster and coarser).
  ///   - minNeighbors: Overlapping raw hits needed to keep a face (3 as OpenCV's default).
  ///   - rotations: Angles in degrees of extra passes on the rotated frame (none by default). Their faces
  ///     come back as upright boxes centred on the face; a face found by several passes is reported once.
  ///   - windowStep: Step of the sliding window in pyramid-level pixels at every scale; nil (the default)
  ///     follows OpenCV exactly.
  public init(
    cascade: HaarCascade, minFaceSize: Int = 40, scaleFactor: Float = 1.1, minNeighbors: Int = 3,
    rotations: [Float] = [], windowStep: Int? = nil
  ) {
    precondition(scaleFactor > 1, "FaceDetector: scaleFactor must exceed 1")
    self.cascade = cascade
    self.minFaceSize = max(minFaceSize, 1)
    self.scaleFactor = scaleFactor
    self.minNeighbors = max(minNeighbors, 0)
    self.rotations = rotations.filter { $0 != 0 }
    self.windowStep = windowStep.map { max($0, 1) }
  }

  /// All faces in the frame, largest first.
  ///
  /// Box coordinates are in the frame's pixels, origin at the top-left corner; `confidence` grows
  /// with the number of raw hits merged into the box (see `confidence(neighbors:)`).
  public func detect(in image: GrayImage) -> [FaceBox] {
    var found = groups(in: image)
    for angle in rotations {
      let rotated = FrameRotator(width: image.width, height: image.height, degrees: angle)
      for var group in groups(in: rotated.rotate(image)) {
        let center = rotated.sourcePoint(of: group.box.center)
        group.box.x = center.x - group.box.width / 2
        group.box.y = center.y - group.box.height / 2
        found.append(group)
      }
    }
    if !rotations.isEmpty {
      found = Self.suppressDuplicates(found)
    }
    return
      found
      .map { group in
        var box = group.box
        box.confidence = Self.confidence(neighbors: group.neighbors)
        return box
      }
      .sorted { $0.area > $1.area }
  }

  /// The grouped detections of one pass.
  func groups(in image: GrayImage) -> [Group] {
    Self.groupRectangles(rawDetections(in: image), minNeighbors: minNeighbors, eps: Self.groupingEps)
  }

  /// The scales (frame pixels per level pixel) of the pyramid for a frame of this size, smallest first:
  /// OpenCV's `scaleFactor^k`, from the first whose window is at least `minFaceSize` wide.
  func pyramidScales(width: Int, height: Int) -> [Float] {
    var scales: [Float] = []
    var factor: Double = 1
    while scales.count < 1000 {
      let windowWidth = Int((Double(cascade.windowWidth) * factor).rounded())
      let windowHeight = Int((Double(cascade.windowHeight) * factor).rounded())
      let levelWidth = Int((Double(width) / factor).rounded())
      let levelHeight = Int((Double(height) / factor).rounded())
      if windowWidth > width || windowHeight > height || levelWidth < cascade.windowWidth
        || levelHeight < cascade.windowHeight
      {
        break
      }
      if windowWidth >= minFaceSize && windowHeight >= minFaceSize {
        scales.append(Float(factor))
      }
      factor *= Double(scaleFactor)
    }
    return scales
  }

  /// Every window that passed the cascade, in frame pixels, before grouping, level by level.
  ///
  /// On frames of more than `parallelArea` pixels the levels are shared between two threads (alternate levels
  /// each, so both get about half the work); the hits come back in the same order either way.
  func rawDetections(in image: GrayImage) -> [FaceBox] {
    let scales = pyramidScales(width: image.width, height: image.height)
    guard let first = scales.first else { return [] }
    let parts = image.width * image.height > Self.parallelArea && scales.count > 1 ? 2 : 1
    var perLevel = [[FaceBox]](repeating: [], count: scales.count)
    if parts == 1 {
      scan(image, scales: scales, levels: Array(scales.indices), largest: first) { perLevel[$0] = $1 }
    } else {
      // Each part writes only its own slot.
      var found = [[(Int, [FaceBox])]](repeating: [], count: parts)
      found.withUnsafeMutableBufferPointer { slots in
        DispatchQueue.concurrentPerform(iterations: parts) { part in
          let levels = Array(stride(from: part, to: scales.count, by: parts))
          var mine: [(Int, [FaceBox])] = []
          scan(image, scales: scales, levels: levels, largest: first) { mine.append(($0, $1)) }
          slots[part] = mine
        }
      }
      for (level, boxes) in found.joined() { perLevel[level] = boxes }
    }
    return perLevel.flatMap { $0 }
  }

  /// Frames larger than this (in pixels) are searched on two threads.
  static let parallelArea = 320 * 240

  /// Runs the cascade over the pyramid levels `levels` (indices into `scales`), reporting each level's hits.
  private func scan(
    _ image: GrayImage, scales: [Float], levels: [Int], largest first: Float, found report: (Int, [FaceBox]) -> Void
  ) {
    let maxWidth = Int((Float(image.width) / first).rounded())
    let maxHeight = Int((Float(image.height) / first).rounded())
    let stride = maxWidth + 1
    let evaluator = HaarCascadeEvaluator(cascade: cascade, stride: stride)
    var level = [UInt8](repeating: 0, count: maxWidth * maxHeight)
    var integral = IntegralImage()
    let windowWidth = Float(cascade.windowWidth)
    let windowHeight = Float(cascade.windowHeight)
    for index in levels {
      let scale = scales[index]
      var found: [FaceBox] = []
      let width = min(Int((Float(image.width) / scale).rounded()), maxWidth)
      let height = min(Int((Float(image.height) / scale).rounded()), maxHeight)
      level.withUnsafeMutableBufferPointer { levelPixels in
        image.pixels.withUnsafeBufferPointer { source in
          PyramidResizer.resize(
            source, width: image.width, height: image.height, into: levelPixels, width: width, height: height)
        }
      }
      level.withUnsafeBufferPointer { integral.compute(pixels: $0, width: width, height: height, stride: stride) }
      let step = windowStep ?? (scale >= 2 ? 1 : 2)
      let boxWidth = (windowWidth * scale).rounded()
      let boxHeight = (windowHeight * scale).rounded()
      integral.sums.withUnsafeBufferPointer { sums in
        integral.squares.withUnsafeBufferPointer { squares in
          evaluator.scan(
            sums: sums.baseAddress!, squares: squares.baseAddress!, width: width, height: height, step: step
          ) { x, y in
            found.append(
              FaceBox(
                x: (Float(x) * scale).rounded(), y: (Float(y) * scale).rounded(), width: boxWidth, height: boxHeight))
          }
        }
      }
      report(index, found)
    }
  }

  /// Maps a group's neighbour count (raw hits merged into it) to a confidence in 0...1.
  ///
  /// Calibrated on faces68's YouTube frames (one annotated face each, nobody else in view), where it
  /// tracks the fraction of boxes that are faces: about 0.2 at 4 neighbours (the fewest kept by default),
  /// 0.5 at 6, 0.8 at 10, 0.94 at 15, 0.99 at 25 or more.
  public static func confidence(neighbors: Int) -> Float {
    guard neighbors > 0 else { return 0 }
    let ratio = pow(6.3 / Float(neighbors), 3.2)
    return 1 / (1 + ratio)
  }
}

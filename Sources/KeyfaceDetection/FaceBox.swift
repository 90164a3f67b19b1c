/// A face found by a detector: an upright rectangle in frame pixels and how sure the detector is.
///
/// Coordinates are continuous, with the origin at the top-left corner of the top-left pixel.
public struct FaceBox: Sendable, Equatable {
  /// Left edge in frame pixels, e.g. 212.5.
  public var x: Float
  /// Top edge in frame pixels, e.g. 96.0.
  public var y: Float
  /// Width in frame pixels, e.g. 143.0.
  public var width: Float
  /// Height in frame pixels, e.g. 143.0.
  public var height: Float
  /// How likely the box holds a face, in 0...1 (for the Haar detector, a function of the neighbour count).
  public var confidence: Float

  /// A box from its corner, size and confidence.
  public init(x: Float, y: Float, width: Float, height: Float, confidence: Float = 1) {
    self.x = x
    self.y = y
    self.width = width
    self.height = height
    self.confidence = confidence
  }

  /// The centre of the box.
  public var center: SIMD2<Float> { SIMD2(x + width / 2, y + height / 2) }

  /// Area in square pixels.
  public var area: Float { width * height }

  /// Area shared with `other` in square pixels, 0 when they do not overlap.
  public func intersectionArea(_ other: FaceBox) -> Float {
    let ix = max(0, min(x + width, other.x + other.width) - max(x, other.x))
    let iy = max(0, min(y + height, other.y + other.height) - max(y, other.y))
    return ix * iy
  }

  /// The share of this box's area that lies inside `other`, in 0...1.
  public func shareInside(_ other: FaceBox) -> Float {
    area > 0 ? intersectionArea(other) / area : 0
  }

  /// Intersection over union with another box, 0 when they do not overlap.
  public func intersectionOverUnion(_ other: FaceBox) -> Float {
    let intersection = intersectionArea(other)
    let union = area + other.area - intersection
    return union > 0 ? intersection / union : 0
  }
}

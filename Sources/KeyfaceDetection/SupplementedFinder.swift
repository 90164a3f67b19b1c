import Foundation
import KeyfaceMedia

/// A face finder plus supplementary Haar cascades whose boxes are added where the main finder found nothing:
/// for photos, OpenCV's `haarcascade_frontalface_alt2.xml` (trained differently from the default, it finds some
/// faces the default misses) and `haarcascade_profileface.xml` run on the image and on its mirror image (it knows
/// faces turned one way). The supplementary cascades are read on first use, so a finder that never runs costs
/// nothing; one that cannot be read is left out.
///
/// On faces68's validation people, beside the default cascade's thorough search: recall 0.970 -> 0.981, failures
/// 7.1% -> 5.8%.
public final class SupplementedFinder: FaceFinding, @unchecked Sendable {
  /// A supplementary cascade: where it is, and whether it also runs on the mirrored image.
  public struct Supplement: Sendable {
    public var path: String
    public var mirrored: Bool

    public init(path: String, mirrored: Bool) {
      self.path = path
      self.mirrored = mirrored
    }
  }

  /// The main finder, whose boxes come first.
  public let main: FaceFinding
  /// The supplementary cascades, in order.
  public let supplements: [Supplement]
  private let minFaceSize: Int
  private let lock = NSLock()
  private var detectors: [(FaceDetector, Bool)]?

  /// Combines `main` with `supplements`, which look for faces of `minFaceSize` pixels on.
  public init(main: FaceFinding, supplements: [Supplement], minFaceSize: Int = 24) {
    self.main = main
    self.supplements = supplements
    self.minFaceSize = minFaceSize
  }

  /// OpenCV's alternative frontal and profile cascades beside `frontalPath` (Debian's opencv-data ships them all).
  public static func photoSupplements(besideFrontal frontalPath: String) -> [Supplement] {
    let folder = URL(fileURLWithPath: frontalPath).deletingLastPathComponent()
    return [
      Supplement(path: folder.appendingPathComponent("haarcascade_frontalface_alt2.xml").path, mirrored: false),
      Supplement(path: folder.appendingPathComponent("haarcascade_profileface.xml").path, mirrored: true),
    ]
  }

  private func loadedDetectors() -> [(FaceDetector, Bool)] {
    lock.lock()
    defer { lock.unlock() }
    if let detectors { return detectors }
    let loaded = supplements.compactMap { supplement in
      (try? HaarCascade(contentsOf: supplement.path)).map {
        (FaceDetector(cascade: $0, minFaceSize: minFaceSize), supplement.mirrored)
      }
    }
    detectors = loaded
    return loaded
  }

  public func detect(in image: GrayImage) -> [FaceBox] {
    var boxes = main.detect(in: image)
    let detectors = loadedDetectors()
    guard !detectors.isEmpty else { return boxes }
    let width = Float(image.width)
    var mirror: GrayImage?
    for (detector, mirrored) in detectors {
      var extra = detector.detect(in: image)
      if mirrored {
        if mirror == nil { mirror = SupplementedFinder.mirror(image) }
        extra += detector.detect(in: mirror!).map { box in
          var b = box
          b.x = width - box.x - box.width
          return b
        }
      }
      for box in extra where !boxes.contains(where: { $0.intersectionOverUnion(box) > 0.3 }) {
        boxes.append(box)
      }
    }
    return boxes
  }

  /// The image flipped left to right.
  static func mirror(_ image: GrayImage) -> GrayImage {
    var pixels = [UInt8](repeating: 0, count: image.pixels.count)
    image.pixels.withUnsafeBufferPointer { src in
      pixels.withUnsafeMutableBufferPointer { dst in
        mirrorRows(src.baseAddress!, into: dst.baseAddress!, width: image.width, height: image.height)
      }
    }
    return GrayImage(width: image.width, height: image.height, pixels: pixels)
  }
}

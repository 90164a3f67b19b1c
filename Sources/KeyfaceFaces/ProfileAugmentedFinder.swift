import Foundation
import KeyfaceMedia

/// A frontal face finder plus a profile cascade (OpenCV's `haarcascade_profileface.xml` knows faces turned one
/// way) run on the image and on its mirror image, for faces turned too far for the frontal cascade. Profile boxes
/// that overlap a frontal one are dropped. Meant for still images: it about doubles the search. The profile
/// cascade is read on first use (videos never pay for it); if it cannot be read, only the frontal finder runs.
///
/// On faces68's validation people (with the frontal search of still images): recall 0.970 -> 0.977, failures
/// 7.1% -> 7.0%.
public final class ProfileAugmentedFinder: FaceFinding, @unchecked Sendable {
  /// The frontal finder, whose boxes come first.
  public let frontal: FaceFinding
  /// Where the profile cascade is read from.
  public let profilePath: String
  private let minFaceSize: Int
  private let lock = NSLock()
  private var loaded = false
  private var profile: FaceDetector?

  /// Combines `frontal` with the profile cascade at `profilePath`, looking for faces of `minFaceSize` pixels on.
  public init(frontal: FaceFinding, profilePath: String, minFaceSize: Int = 24) {
    self.frontal = frontal
    self.profilePath = profilePath
    self.minFaceSize = minFaceSize
  }

  /// OpenCV's profile cascade beside `frontalPath` (Debian's opencv-data ships both).
  public static func profilePath(besideFrontal frontalPath: String) -> String {
    URL(fileURLWithPath: frontalPath).deletingLastPathComponent().appendingPathComponent(
      "haarcascade_profileface.xml"
    ).path
  }

  private func profileDetector() -> FaceDetector? {
    lock.lock()
    defer { lock.unlock() }
    if !loaded {
      loaded = true
      profile = (try? HaarCascade(contentsOf: profilePath)).map { FaceDetector(cascade: $0, minFaceSize: minFaceSize) }
    }
    return profile
  }

  public func detect(in image: GrayImage) -> [FaceBox] {
    var boxes = frontal.detect(in: image)
    guard let profile = profileDetector() else { return boxes }
    let width = Float(image.width)
    let mirrored = profile.detect(in: ProfileAugmentedFinder.mirror(image)).map { box -> FaceBox in
      var b = box
      b.x = width - box.x - box.width
      return b
    }
    for box in profile.detect(in: image) + mirrored
    where !boxes.contains(where: { $0.intersectionOverUnion(box) > 0.3 }) {
      boxes.append(box)
    }
    return boxes
  }

  /// The image flipped left to right.
  static func mirror(_ image: GrayImage) -> GrayImage {
    var pixels = [UInt8](repeating: 0, count: image.pixels.count)
    let w = image.width
    image.pixels.withUnsafeBufferPointer { src in
      pixels.withUnsafeMutableBufferPointer { dst in
        for y in 0..<image.height {
          for x in 0..<w { dst[y * w + x] = src[y * w + w - 1 - x] }
        }
      }
    }
    return GrayImage(width: w, height: image.height, pixels: pixels)
  }
}

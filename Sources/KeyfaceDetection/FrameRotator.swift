// Rotates a grey frame about its centre for the detector's tilted passes, keeping its size: corners
// that rotate out are lost and the uncovered area repeats the border pixels (a black wedge would add
// strong edges the cascade reacts to).
import Foundation
import KeyfaceMedia

/// A rotation of a frame about its centre, and the mapping of points back to the original frame.
struct FrameRotator {
  let width: Int
  let height: Int
  private let cosine: Float
  private let sine: Float

  /// A rotation by `degrees` (positive turns the picture content counter-clockwise on screen).
  init(width: Int, height: Int, degrees: Float) {
    self.width = width
    self.height = height
    let radians = Double(degrees) * Double.pi / 180
    cosine = Float(cos(radians))
    sine = Float(sin(radians))
  }

  /// The point of the original frame that lands at `point` of the rotated one (continuous pixel
  /// coordinates, origin at the top-left corner).
  func sourcePoint(of point: SIMD2<Float>) -> SIMD2<Float> {
    let center = SIMD2(Float(width), Float(height)) / 2
    let d = point - center
    return center + SIMD2(cosine * d.x - sine * d.y, sine * d.x + cosine * d.y)
  }

  /// The rotated frame, bilinearly sampled.
  func rotate(_ image: GrayImage) -> GrayImage {
    precondition(image.width == width && image.height == height, "FrameRotator: size mismatch")
    guard width > 0, height > 0 else { return image }
    var out = [UInt8](repeating: 0, count: width * height)
    let maxX = Float(width - 1)
    let maxY = Float(height - 1)
    image.pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for y in 0..<height {
          // Pixel centres: the sample for output (x, y) is at sourcePoint(x + 0.5, y + 0.5) - 0.5.
          let start = sourcePoint(of: SIMD2(0.5, Float(y) + 0.5)) - 0.5
          for x in 0..<width {
            let sx = min(max(start.x + cosine * Float(x), 0), maxX)
            let sy = min(max(start.y + sine * Float(x), 0), maxY)
            let x0 = Int(sx)
            let y0 = Int(sy)
            let x1 = min(x0 + 1, width - 1)
            let y1 = min(y0 + 1, height - 1)
            let fx = sx - Float(x0)
            let fy = sy - Float(y0)
            let top = Float(src[y0 * width + x0]) * (1 - fx) + Float(src[y0 * width + x1]) * fx
            let bottom = Float(src[y1 * width + x0]) * (1 - fx) + Float(src[y1 * width + x1]) * fx
            dst[y * width + x] = UInt8(top * (1 - fy) + bottom * fy + 0.5)
          }
        }
      }
    }
    return GrayImage(width: width, height: height, pixels: out)
  }
}

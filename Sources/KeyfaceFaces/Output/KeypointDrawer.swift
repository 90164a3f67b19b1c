// Draws keypoints into yuv420p frames: filled anti-aliased dots sized to the face, in three colours for the
// subject's left, right and midline points, with a dark rim so they show on any background; optionally the
// face box, "#id score" above it and short keypoint labels. Luma is blended per pixel with the shape's
// coverage, chroma per 2x2 block with the block's coverage.
import KeyfaceMedia
import KeyfaceNN

/// Draws faces' keypoints, and optionally boxes, ids and labels, into colour frames.
public struct KeypointDrawer: Sendable {
  /// The extras drawn besides the keypoints.
  public var elements: Set<DrawElement>

  /// Short labels of the 15 keypoints, in `Keypoints.names` order.
  public static let labels = [
    "LE", "RE", "LEI", "LEO", "REI", "REO", "LBI", "LBO", "RBI", "RBO", "N", "ML", "MR", "MT", "MB",
  ]

  /// Creates a drawer with the given extras.
  public init(elements: Set<DrawElement> = []) {
    self.elements = elements
  }

  /// The dot radius in pixels for a face box `width` pixels wide: about 2.8% of it, at least 1.5.
  public static func dotRadius(faceWidth: Float) -> Float {
    min(max(0.028 * faceWidth, 1.5), 24)
  }

  /// Draws `faces` into `image`.
  public func draw(_ faces: [FaceResult], on image: inout YUVImage) {
    for face in faces {
      let size = max(face.box.width, 1)
      if elements.contains(.box) {
        let thickness = max(1, Int((size / 160).rounded()))
        KeypointDrawer.strokeRect(
          x0: face.box.x, y0: face.box.y, x1: face.box.x + face.box.width, y1: face.box.y + face.box.height,
          thickness: thickness, color: .box, on: &image)
      }
      let r = KeypointDrawer.dotRadius(faceWidth: size)
      let textScale = min(3, max(1, Int((size / 160).rounded())))
      for (i, p) in face.keypoints.enumerated() {
        let side = i < Keypoints.side.count ? Keypoints.side[i] : 0
        let color: DrawColor = side > 0 ? .left : side < 0 ? .right : .midline
        KeypointDrawer.fillDisc(center: p, radius: r + max(1, r * 0.35), color: .shadow, alpha: 0.6, on: &image)
        KeypointDrawer.fillDisc(center: p, radius: r, color: color, alpha: 1, on: &image)
        if elements.contains(.labels), i < KeypointDrawer.labels.count {
          KeypointDrawer.drawText(
            KeypointDrawer.labels[i], x: p.x + r + 2, y: p.y - Float(3 * textScale), scale: textScale, on: &image)
        }
      }
      if elements.contains(.id) {
        let text = "#\(face.id) " + twoDecimals(face.score)
        let scale = min(4, max(1, Int((size / 100).rounded())))
        let h = Float((BitmapFont.height + 2) * scale)
        KeypointDrawer.drawText(text, x: max(0, face.box.x), y: max(0, face.box.y - h - 2), scale: scale, on: &image)
      }
    }
  }

  private func twoDecimals(_ score: Float) -> String {
    let v = Int((min(max(score, 0), 1) * 100).rounded())
    return v >= 100 ? "1.00" : "0." + (v < 10 ? "0" : "") + String(v)
  }

  // MARK: - Primitives

  /// Blends a filled, anti-aliased disc into the frame.
  static func fillDisc(center c: SIMD2<Float>, radius r: Float, color: DrawColor, alpha: Float, on image: inout YUVImage) {
    guard c.x.isFinite, c.y.isFinite, r > 0 else { return }
    let w = image.width, h = image.height
    let x0 = max(0, Int((c.x - r - 1).rounded(.down))), x1 = min(w - 1, Int((c.x + r + 1).rounded(.up)))
    let y0 = max(0, Int((c.y - r - 1).rounded(.down))), y1 = min(h - 1, Int((c.y + r + 1).rounded(.up)))
    guard x0 <= x1, y0 <= y1 else { return }
    image.y.withUnsafeMutableBufferPointer { plane in
      for j in y0...y1 {
        let dy = Float(j) + 0.5 - c.y
        for i in x0...x1 {
          let dx = Float(i) + 0.5 - c.x
          let cover = min(max(r + 0.5 - (dx * dx + dy * dy).squareRoot(), 0), 1) * alpha
          if cover > 0 { blend(&plane[j * w + i], color.y, cover) }
        }
      }
    }
    let cw = image.chromaWidth, ch = image.chromaHeight
    let cx0 = x0 / 2, cx1 = min(cw - 1, x1 / 2), cy0 = y0 / 2, cy1 = min(ch - 1, y1 / 2)
    guard cx0 <= cx1, cy0 <= cy1 else { return }
    for j in cy0...cy1 {
      let dy = Float(2 * j + 1) - c.y
      for i in cx0...cx1 {
        let dx = Float(2 * i + 1) - c.x
        // A chroma sample spans 2 luma pixels: the edge ramps over 2 pixels.
        let cover = min(max((r + 1 - (dx * dx + dy * dy).squareRoot()) / 2, 0), 1) * alpha
        if cover > 0 {
          blend(&image.u[j * cw + i], color.u, cover)
          blend(&image.v[j * cw + i], color.v, cover)
        }
      }
    }
  }

  /// Blends an axis-aligned rectangle covering the pixels whose centres lie inside [x0, x1) x [y0, y1).
  static func fillRect(x0: Float, y0: Float, x1: Float, y1: Float, color: DrawColor, alpha: Float, on image: inout YUVImage) {
    guard x0.isFinite, y0.isFinite, x1.isFinite, y1.isFinite else { return }
    let w = image.width, h = image.height
    let i0 = max(0, Int(max(x0, -1).rounded())), i1 = min(w, Int(min(x1, Float(w + 1)).rounded()))
    let j0 = max(0, Int(max(y0, -1).rounded())), j1 = min(h, Int(min(y1, Float(h + 1)).rounded()))
    guard i0 < i1, j0 < j1 else { return }
    for j in j0..<j1 {
      for i in i0..<i1 { blend(&image.y[j * w + i], color.y, alpha) }
    }
    let cw = image.chromaWidth
    for j in (j0 / 2)...((j1 - 1) / 2) {
      for i in (i0 / 2)...((i1 - 1) / 2) {
        blend(&image.u[j * cw + i], color.u, alpha)
        blend(&image.v[j * cw + i], color.v, alpha)
      }
    }
  }

  /// Outlines a rectangle with lines `thickness` pixels wide, inside its edges.
  static func strokeRect(x0: Float, y0: Float, x1: Float, y1: Float, thickness: Int, color: DrawColor, on image: inout YUVImage) {
    let t = Float(thickness)
    fillRect(x0: x0, y0: y0, x1: x1, y1: y0 + t, color: color, alpha: 1, on: &image)
    fillRect(x0: x0, y0: y1 - t, x1: x1, y1: y1, color: color, alpha: 1, on: &image)
    fillRect(x0: x0, y0: y0 + t, x1: x0 + t, y1: y1 - t, color: color, alpha: 1, on: &image)
    fillRect(x0: x1 - t, y0: y0 + t, x1: x1, y1: y1 - t, color: color, alpha: 1, on: &image)
  }

  /// Writes `text` in white on a dark band with its top-left corner at (x, y), glyph pixels `scale` wide.
  static func drawText(_ text: String, x: Float, y: Float, scale: Int, on image: inout YUVImage) {
    let s = Float(scale)
    let advance = Float(BitmapFont.width + 1) * s
    let width = Float(text.count) * advance + s
    fillRect(x0: x - s, y0: y - s, x1: x + width, y1: y + Float(BitmapFont.height + 1) * s, color: .shadow, alpha: 0.55, on: &image)
    var pen = x
    for character in text {
      if let rows = BitmapFont.glyph(character) {
        for (row, mask) in rows.enumerated() {
          for col in 0..<BitmapFont.width where mask & (1 << (BitmapFont.width - 1 - col)) != 0 {
            let px = pen + Float(col) * s, py = y + Float(row) * s
            fillRect(x0: px, y0: py, x1: px + s, y1: py + s, color: .text, alpha: 1, on: &image)
          }
        }
      }
      pen += advance
    }
  }

  @inline(__always)
  private static func blend(_ pixel: inout UInt8, _ target: UInt8, _ cover: Float) {
    let p = Float(pixel)
    pixel = UInt8(min(max(p + (Float(target) - p) * cover + 0.5, 0), 255))
  }
}

import Foundation
import KeyfaceNN

/// A grid of faces with true keypoints in green and predicted ones in red, as the seed notebook showed them.
public struct ContactSheet {
  /// Faces per row (8).
  public var columns: Int
  /// Magnification of each 96x96 face (2).
  public var zoom: Int

  /// Creates a sheet layout.
  public init(columns: Int = 8, zoom: Int = 2) {
    self.columns = max(1, columns)
    self.zoom = max(1, zoom)
  }

  /// Renders `rows` of `data` with `predicted` coordinates (30 per face, in the order of `rows`).
  /// - Returns: width, height and RGB pixels.
  public func render(_ data: KaggleDataset, rows: [Int], predicted: [Float]) -> (width: Int, height: Int, rgb: [UInt8]) {
    let side = KaggleDataset.side * zoom
    let gap = 2
    let columnCount = min(columns, max(rows.count, 1))
    let rowCount = max(1, (rows.count + columnCount - 1) / columnCount)
    let width = columnCount * side + (columnCount + 1) * gap
    let height = rowCount * side + (rowCount + 1) * gap
    var rgb = [UInt8](repeating: 255, count: 3 * width * height)
    let k = KaggleDataset.coordinateCount
    for (i, row) in rows.enumerated() {
      let ox = gap + (i % columnCount) * (side + gap)
      let oy = gap + (i / columnCount) * (side + gap)
      for y in 0..<side {
        for x in 0..<side {
          let v = data.pixels[row * KaggleDataset.pixelCount + (y / zoom) * KaggleDataset.side + x / zoom]
          let o = 3 * ((oy + y) * width + ox + x)
          rgb[o] = v
          rgb[o + 1] = v
          rgb[o + 2] = v
        }
      }
      func dot(_ px: Float, _ py: Float, _ color: (UInt8, UInt8, UInt8)) {
        guard px.isFinite, py.isFinite else { return }
        let cx = Int((px * Float(zoom)).rounded(.down))
        let cy = Int((py * Float(zoom)).rounded(.down))
        for dy in -zoom...zoom {
          for dx in -zoom...zoom where abs(dx) + abs(dy) <= zoom + 1 {
            let x = cx + dx
            let y = cy + dy
            guard x >= 0, y >= 0, x < side, y < side else { continue }
            let o = 3 * ((oy + y) * width + ox + x)
            (rgb[o], rgb[o + 1], rgb[o + 2]) = color
          }
        }
      }
      for j in 0..<Keypoints.count where data.mask[row * k + 2 * j] > 0 && data.mask[row * k + 2 * j + 1] > 0 {
        dot(data.coordinates[row * k + 2 * j], data.coordinates[row * k + 2 * j + 1], (0, 220, 0))
      }
      if predicted.count >= (i + 1) * k {
        for j in 0..<Keypoints.count { dot(predicted[i * k + 2 * j], predicted[i * k + 2 * j + 1], (230, 0, 0)) }
      }
    }
    return (width, height, rgb)
  }
}

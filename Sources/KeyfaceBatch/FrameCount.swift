import Foundation

/// Frames and faces in a `keyface run` JSON Lines file: one line per frame, each with a `faces` array.
public struct FrameCount: Equatable, Sendable {
  /// Lines, i.e. decoded frames.
  public var frames: Int
  /// Faces summed over all frames.
  public var faces: Int

  /// Creates a count.
  public init(frames: Int, faces: Int) {
    self.frames = frames
    self.faces = faces
  }

  /// Reads a JSON Lines file.
  /// - Throws: `BatchError` naming the file and the line when a line is not a JSON object.
  public init(jsonLinesAt path: String) throws {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    } catch {
      throw BatchError("\(path): cannot read: \(OutputLayout.reason(error))")
    }
    var frames = 0
    var faces = 0
    var lineNumber = 0
    var start = data.startIndex
    while start < data.endIndex {
      let end = data[start...].firstIndex(of: UInt8(ascii: "\n")) ?? data.endIndex
      lineNumber += 1
      let line = data[start..<end]
      start = end < data.endIndex ? end + 1 : end
      if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
      guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
        throw BatchError("\(path): line \(lineNumber) is not a JSON object")
      }
      frames += 1
      faces += (object["faces"] as? [Any])?.count ?? 0
    }
    self.init(frames: frames, faces: faces)
  }
}

// One JSON object per decoded frame, written and flushed line by line:
// {"source":"clip.mp4","frame":0,"time":0.852,"width":640,"height":360,"faces":[{"id":0,"score":0.97,
//  "box":[x,y,w,h],"keypoints":{"left_eye_center":[x,y],...}}]}
// Pixels carry 2 decimals, scores 3, times 6 (as ffprobe), trailing zeros dropped.
import KeyfaceMedia
import KeyfaceNN

/// Writes results as JSON Lines to standard output or a file.
public final class JSONLinesWriter: FrameSink {
  /// Where the lines go.
  public let output: OutputFile
  private var line: [UInt8] = []
  private static let keyPrefixes: [[UInt8]] = Keypoints.names.enumerated().map { i, name in
    Array(((i == 0 ? "" : ",") + "\"" + name + "\":[").utf8)
  }

  /// Writes to `output`.
  public init(output: OutputFile) {
    self.output = output
    line.reserveCapacity(4096)
  }

  /// Writes to `path` ("-" is standard output).
  public convenience init(path: String) throws {
    self.init(output: try OutputFile(path: path))
  }

  public func write(_ result: FrameResult, frame: DecodedFrame) throws {
    line.removeAll(keepingCapacity: true)
    JSONLinesWriter.encode(result, into: &line)
    try output.write(line)
  }

  public func finish() throws { try output.commit() }

  public func abort() { output.discard() }

  /// The line for `result`, newline included.
  public static func line(for result: FrameResult) -> String {
    var bytes: [UInt8] = []
    encode(result, into: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Appends the line for `result`, newline included, to `out`.
  public static func encode(_ result: FrameResult, into out: inout [UInt8]) {
    out.append(contentsOf: "{\"source\":".utf8)
    TextFormatting.appendJSONString(result.source, to: &out)
    out.append(contentsOf: ",\"frame\":".utf8)
    TextFormatting.appendInteger(result.frame, to: &out)
    out.append(contentsOf: ",\"time\":".utf8)
    TextFormatting.appendNumber(result.time, decimals: 6, to: &out)
    out.append(contentsOf: ",\"width\":".utf8)
    TextFormatting.appendInteger(result.width, to: &out)
    out.append(contentsOf: ",\"height\":".utf8)
    TextFormatting.appendInteger(result.height, to: &out)
    out.append(contentsOf: ",\"faces\":[".utf8)
    for (n, face) in result.faces.enumerated() {
      if n > 0 { out.append(UInt8(ascii: ",")) }
      out.append(contentsOf: "{\"id\":".utf8)
      TextFormatting.appendInteger(face.id, to: &out)
      out.append(contentsOf: ",\"score\":".utf8)
      TextFormatting.appendNumber(Double(face.score), decimals: 3, to: &out)
      out.append(contentsOf: ",\"box\":[".utf8)
      let b = face.box
      for (i, v) in [b.x, b.y, b.width, b.height].enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        TextFormatting.appendNumber(Double(v), decimals: 2, to: &out)
      }
      out.append(contentsOf: "],\"keypoints\":{".utf8)
      for (i, p) in face.keypoints.prefix(keyPrefixes.count).enumerated() {
        out.append(contentsOf: keyPrefixes[i])
        TextFormatting.appendNumber(Double(p.x), decimals: 2, to: &out)
        out.append(UInt8(ascii: ","))
        TextFormatting.appendNumber(Double(p.y), decimals: 2, to: &out)
        out.append(UInt8(ascii: "]"))
      }
      out.append(contentsOf: "}}".utf8)
    }
    out.append(contentsOf: "]}\n".utf8)
  }
}

// OpenFace-like CSV: a header, then one row per face per frame:
// source,frame,time,id,score,left_eye_center_x,left_eye_center_y,...,mouth_center_bottom_lip_y
// Frames without a face have no row.
import KeyfaceMedia
import KeyfaceNN

/// Writes results as CSV rows to standard output or a file.
public final class CSVWriter: FrameSink {
  /// Where the rows go.
  public let output: OutputFile
  private var buffer: [UInt8] = []
  private var wroteHeader = false

  /// Writes to `output`.
  public init(output: OutputFile) {
    self.output = output
  }

  /// Writes to `path` ("-" is standard output).
  public convenience init(path: String) throws {
    self.init(output: try OutputFile(path: path))
  }

  /// The header line, newline included.
  public static var header: String {
    (["source", "frame", "time", "id", "score"] + Keypoints.names.flatMap { [$0 + "_x", $0 + "_y"] })
      .joined(separator: ",") + "\n"
  }

  public func begin(_ source: SourceInfo) throws {
    try writeHeaderOnce()
  }

  public func write(_ result: FrameResult, frame: DecodedFrame) throws {
    try writeHeaderOnce()
    guard !result.faces.isEmpty else { return }
    buffer.removeAll(keepingCapacity: true)
    CSVWriter.encode(result, into: &buffer)
    try output.write(buffer)
  }

  public func finish() throws {
    try writeHeaderOnce()
    try output.commit()
  }

  public func abort() { output.discard() }

  /// Appends the rows of `result` (one per face, newlines included) to `out`.
  public static func encode(_ result: FrameResult, into out: inout [UInt8]) {
    for face in result.faces {
      TextFormatting.appendCSVField(result.source, to: &out)
      out.append(UInt8(ascii: ","))
      TextFormatting.appendInteger(result.frame, to: &out)
      out.append(UInt8(ascii: ","))
      TextFormatting.appendNumber(result.time, decimals: 6, to: &out)
      out.append(UInt8(ascii: ","))
      TextFormatting.appendInteger(face.id, to: &out)
      out.append(UInt8(ascii: ","))
      TextFormatting.appendNumber(Double(face.score), decimals: 3, to: &out)
      for p in face.keypoints {
        out.append(UInt8(ascii: ","))
        TextFormatting.appendNumber(Double(p.x), decimals: 2, to: &out)
        out.append(UInt8(ascii: ","))
        TextFormatting.appendNumber(Double(p.y), decimals: 2, to: &out)
      }
      out.append(UInt8(ascii: "\n"))
    }
  }

  private func writeHeaderOnce() throws {
    guard !wroteHeader else { return }
    wroteHeader = true
    try output.write(Array(CSVWriter.header.utf8))
  }
}

import Foundation

/// Kaggle's submission file: `RowId,Location` for each row of `IdLookupTable.csv`.
public struct KaggleSubmission {
  /// One requested value: which image and which coordinate column.
  public struct Request: Equatable {
    /// `RowId` (1-based).
    public var rowId: Int
    /// `ImageId` of the face in test.csv.
    public var imageId: Int
    /// Coordinate index 0..<30 (see `KaggleDataset.coordinateName`).
    public var coordinate: Int
  }

  /// The requests in file order.
  public var requests: [Request]

  /// Reads `IdLookupTable.csv` (`RowId,ImageId,FeatureName[,Location]`), plain or `.gz`.
  /// - Throws: `KaggleCSVError` naming the line of a malformed row or unknown feature name.
  public init(lookupPath path: String) throws {
    let reader = try GzipLineReader(path: path)
    guard try reader.next() else { throw KaggleCSVError(path: path, line: nil, message: "empty file, expected a header row") }
    let header = String(decoding: reader.line, as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false)
      .map { $0.trimmingCharacters(in: .whitespaces) }
    guard let rowColumn = header.firstIndex(of: "RowId"), let imageColumn = header.firstIndex(of: "ImageId"),
      let featureColumn = header.firstIndex(of: "FeatureName")
    else {
      throw KaggleCSVError(path: path, line: 1, message: "expected RowId, ImageId and FeatureName columns")
    }
    requests = []
    while try reader.next() {
      if reader.line.isEmpty { continue }
      let cells = String(decoding: reader.line, as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false)
        .map { $0.trimmingCharacters(in: .whitespaces) }
      guard cells.count == header.count else {
        throw KaggleCSVError(
          path: path, line: reader.lineNumber, message: "expected \(header.count) cells, found \(cells.count)")
      }
      guard let rowId = Int(cells[rowColumn]), let imageId = Int(cells[imageColumn]) else {
        throw KaggleCSVError(path: path, line: reader.lineNumber, message: "RowId and ImageId must be whole numbers")
      }
      guard let coordinate = KaggleDataset.coordinateIndex(cells[featureColumn]) else {
        throw KaggleCSVError(path: path, line: reader.lineNumber, message: "unknown FeatureName \"\(cells[featureColumn])\"")
      }
      requests.append(Request(rowId: rowId, imageId: imageId, coordinate: coordinate))
    }
  }

  /// The submission CSV text for `predicted` coordinates (30 per face of `test`, in its order), clamped to 0...96.
  /// - Throws: `TrainingError` if a request names an ImageId that `test` lacks.
  public func csv(test: KaggleDataset, predicted: [Float]) throws -> String {
    var rowOf: [Int: Int] = [:]
    for (row, id) in test.imageIds.enumerated() { rowOf[id] = row }
    var out = "RowId,Location\n"
    out.reserveCapacity(20 * requests.count)
    for request in requests {
      guard let row = rowOf[request.imageId] else {
        throw TrainingError("lookup row \(request.rowId) asks for ImageId \(request.imageId), which the test file lacks")
      }
      let value = predicted[row * KaggleDataset.coordinateCount + request.coordinate]
      let clamped = min(max(value.isFinite ? value : 48, 0), Float(KaggleDataset.side))
      out += "\(request.rowId),\(String(format: "%.4f", clamped))\n"
    }
    return out
  }
}

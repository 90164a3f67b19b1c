import ArgumentParser
import Foundation
import KeyfaceNN
import KeyfaceTraining

/// `keyface eval`: Kaggle's RMSE of a model on a training-format CSV, overall and per keypoint.
struct Eval: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Score a model on a Kaggle-format training CSV: RMSE in 96-px units over present coordinates.")

  @Option(help: "CSV with 30 keypoint columns and Image (plain or .gz).")
  var data: String

  @OptionGroup var crops: CropModelOptions

  @Flag(help: "Print one JSON object {\"rmse\", \"per_keypoint\", \"count\", \"faces\", \"framing\"} on stdout instead of a table.")
  var json = false

  @Option(help: "Write a PNG contact sheet of faces with true (green) and predicted (red) keypoints.")
  var sheet: String?

  @Option(help: "Faces on the contact sheet (the first ones scored).")
  var sheetCount: Int = 48

  @Option(help: "CSV with an 'identity' column, rows aligned with --data, to recompute the training's identity split.")
  var valGroups: String?

  @Option(help: "Fraction of groups held out, as given to train (default: the model's recorded value, else 0.2).")
  var valFraction: Double?

  @Flag(help: "Score only the validation identities of --val-groups (faces the model never trained on).")
  var valOnly = false

  @Option(help: "BLAS threads (default: all cores).")
  var threads: Int?

  func validate() throws {
    if let sheet { try ReplaceableFile.check(sheet, option: "--sheet") }
    if valOnly && valGroups == nil { throw ValidationError("--val-only needs --val-groups") }
    if valGroups != nil && !valOnly { throw ValidationError("--val-groups is only used with --val-only") }
    if let valFraction, !(valFraction > 0 && valFraction < 1) { throw ValidationError("--val-fraction must be in 0<..<1") }
    if sheetCount < 1 || sheetCount > 1000 { throw ValidationError("--sheet-count must be in 1...1000") }
    if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1...256") }
    if let sheet, !sheet.lowercased().hasSuffix(".png") { throw ValidationError("--sheet must name a .png file") }
  }

  func run() throws {
    if let threads { Network.setThreads(threads) }
    let networks = try crops.networks()
    let faces = try KaggleDataset(contentsOf: data)
    guard faces.hasKeypoints else { throw TrainingError("\(data): no keypoint columns to score against") }
    var rows = Array(0..<faces.count)
    if let valGroups {
      let groups = try DataSplit.readGroups(path: valGroups)
      guard groups.count == faces.count else {
        throw TrainingError("\(valGroups): \(groups.count) rows, but \(data) has \(faces.count) faces; rows must align")
      }
      let fraction = valFraction ?? networks[0].metadata["validation_fraction"].flatMap(Double.init) ?? 0.2
      rows = DataSplit.byGroups(groups, fraction: fraction).validation
    }
    guard !rows.isEmpty else { throw TrainingError("\(data): no faces to score") }

    let predictor = crops.predictor(networks)
    let (predicted, fitted) = crops.framed(predictor.predict(faces, indices: rows).coordinates)
    var errors = KeypointErrors()
    let n = KaggleDataset.coordinateCount
    for (i, row) in rows.enumerated() {
      errors.add(
        predicted: predicted[i * n..<(i + 1) * n], truth: faces.coordinates[row * n..<(row + 1) * n],
        mask: faces.mask[row * n..<(row + 1) * n])
    }
    if json {
      // One more member after the scores: how the crops were taken to be framed.
      print(errors.json.dropLast() + ",\"framing\":\"\(fitted ? "fitted" : "free")\"}")
    } else {
      print("RMSE \(String(format: "%.4f", errors.rmse)) px over \(errors.count) coordinates of \(errors.faces) faces")
      print("framing: \(fitted ? "fitted (predictions moved to keypoints that frame as the crops)" : "free")")
      let per = errors.perKeypoint
      for name in Keypoints.names {
        guard let value = per[name] else { continue }
        print("  \(name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(String(format: "%.4f", value))")
      }
    }
    if let sheet {
      let count = min(sheetCount, rows.count)
      let image = ContactSheet().render(faces, rows: Array(rows.prefix(count)), predicted: Array(predicted.prefix(count * n)))
      try PNGWriter.write(width: image.width, height: image.height, rgb: image.rgb, to: URL(fileURLWithPath: sheet))
    }
  }
}

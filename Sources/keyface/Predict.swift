import ArgumentParser
import Foundation
import KeyfaceNN
import KeyfaceTraining

/// `keyface predict`: a Kaggle submission (`RowId,Location`) for test.csv and IdLookupTable.csv.
struct Predict: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "predict",
    abstract: "Write a Kaggle submission (RowId,Location) for a test CSV and its IdLookupTable.csv.")

  @Option(help: "Kaggle's test.csv (ImageId, Image), plain or .gz.")
  var data: String

  @Option(help: "Kaggle's IdLookupTable.csv (RowId, ImageId, FeatureName, Location).")
  var lookup: String

  @Option(help: "Where to write the submission CSV (written atomically).")
  var out: String

  @OptionGroup var crops: CropModelOptions

  @Option(help: "BLAS threads (default: all cores).")
  var threads: Int?

  func validate() throws {
    try ReplaceableFile.check(out, option: "--out")
    if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1...256") }
  }

  func run() throws {
    if let threads { Network.setThreads(threads) }
    let networks = try crops.networks()
    let test = try KaggleDataset(contentsOf: data)
    guard test.count > 0 else { throw TrainingError("\(data): no faces") }
    let submission = try KaggleSubmission(lookupPath: lookup)
    let predictor = crops.predictor(networks)
    let (predicted, _) = crops.framed(predictor.predict(test).coordinates)
    let text = try submission.csv(test: test, predicted: predicted)
    do {
      try text.write(to: URL(fileURLWithPath: out), atomically: true, encoding: .utf8)
    } catch {
      throw TrainingError("\(out): cannot write the submission: \(error.localizedDescription)")
    }
  }
}

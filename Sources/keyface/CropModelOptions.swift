import ArgumentParser
import KeyfaceNN
import KeyfaceTraining

/// `--model` and `--[no-]flip-average` of the commands that score Kaggle-format crops (eval, predict).
struct CropModelOptions: ParsableArguments {
  @Option(
    help: "Model file (.safetensors); give it several times to average their predictions. Default: the three bundled crop models, averaged.")
  var model: [String] = []

  @Flag(
    inversion: .prefixedNo,
    help: "Average each face's prediction with that of its mirror image (about 5% lower RMSE, twice the work).")
  var flipAverage = true

  /// The networks of `--model`, or the bundled crop models.
  func networks() throws -> [Network] {
    try model.isEmpty ? BundledModel.cropEnsemble.map(Network.bundled) : model.map(Network.init(file:))
  }

  /// The networks averaged, with flip averaging as asked.
  func predictor(_ networks: [Network]) -> EnsemblePredictor {
    EnsemblePredictor(networks: networks, flipAverage: flipAverage)
  }
}

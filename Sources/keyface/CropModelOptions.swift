import ArgumentParser
import KeyfaceFaces
import KeyfaceNN
import KeyfaceTraining

/// How the crops given to eval and predict were framed.
enum CropFraming: String, CaseIterable, ExpressibleByArgument {
  /// Decide from the predictions: fitted when their centroids sit within `SelfFraming.autoThreshold` of the layout's.
  case auto
  /// Framed from their own true keypoints as kaggle15's are: predictions move to the nearest such keypoints.
  case fitted
  /// Framed some other way (Kaggle's own data): predictions are used as they are.
  case free
}

/// `--model` and `--[no-]flip-average` of the commands that score Kaggle-format crops (eval, predict).
struct CropModelOptions: ParsableArguments {
  @Option(
    help: "Model file (.safetensors); give it several times to average their predictions. Default: the three bundled crop models, averaged.")
  var model: [String] = []

  @Flag(
    inversion: .prefixedNo,
    help: "Average each face's prediction with that of its mirror image (about 5% lower RMSE, twice the work).")
  var flipAverage = true

  @Option(
    help: ArgumentHelp(
      "How the crops were framed. 'fitted': from their own true keypoints, as kaggle15's are (least-squares scale and shift onto Kaggle's mean layout), which fixes the keypoints' centroid and scale, so each prediction moves to the nearest keypoints that frame that way (about 2% lower RMSE). 'free': any other way, e.g. Kaggle's own files. 'auto': fitted when the predicted keypoints' centroids sit within 1 px (RMS) of the layout's.",
      valueName: "auto|fitted|free"))
  var framing: CropFraming = .auto

  /// The networks of `--model`, or the bundled crop models.
  func networks() throws -> [Network] {
    try model.isEmpty ? BundledModel.cropEnsemble.map(Network.bundled) : model.map(Network.init(file:))
  }

  /// The networks averaged, with flip averaging as asked.
  func predictor(_ networks: [Network]) -> EnsemblePredictor {
    EnsemblePredictor(networks: networks, flipAverage: flipAverage)
  }

  /// Applies `--framing` to `predicted` (30 coordinates per face); returns them and whether they were projected.
  func framed(_ predicted: [Float]) -> (coordinates: [Float], fitted: Bool) {
    let framing = SelfFraming(layout: KaggleLayout.meanPoints)
    let fitted: Bool
    switch self.framing {
    case .fitted: fitted = true
    case .free: fitted = false
    case .auto: fitted = framing.centroidSpread(coordinates: predicted) <= SelfFraming.autoThreshold
    }
    return (fitted ? framing.project(coordinates: predicted) : predicted, fitted)
  }
}

/// The networks shipped with the package, trained for two kinds of crop.
///
/// Kaggle-format crops are framed from their true keypoints, so a face sits in them almost exactly where the
/// training faces sat; a network trained with light augmentation is most accurate there. Crops cut from video
/// frames and photos are framed from a detector's box or from keypoints the network itself predicted, so they
/// vary far more, and a network trained with strong shift, scale and rotation jitter follows them better.
public enum BundledModel: String, CaseIterable, Sendable {
  /// For faces in frames and photos (`keyface run`, `keyface batch`): the `keyface-bn` architecture.
  case frames = "keyface-frames"
  /// For Kaggle-format 96x96 crops (`keyface eval`, `keyface predict`), and for the last pass on photos: the
  /// `keyface-deep-bn` architecture.
  case crops = "keyface-crops"
  /// A second crop model, of the `keyface-deep` architecture (no batch norm), averaged with `crops`: trained
  /// apart, its errors differ enough for the average to beat either.
  case cropsPartner = "keyface-crops-partner"
  /// A third crop model: `crops`'s architecture and recipe from another seed, trained longer (70 epochs, then the
  /// same short cycle).
  case cropsSecond = "keyface-crops-2"
  /// The refinement stage (`keyface-patches`): patches around each keypoint of a large face at up to 2.5x the
  /// 96-px crop's resolution (see `PatchRefiner`), used by `run` and `batch` after the frame model.
  case patches = "keyface-patches"

  /// The crop models `keyface eval` and `keyface predict` average by default.
  public static let cropEnsemble: [BundledModel] = [.crops, .cropsSecond, .cropsPartner]
}

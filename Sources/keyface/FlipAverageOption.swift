import ArgumentParser

/// `--flip-average` / `--no-flip-average` of the commands that score Kaggle-format crops (eval, predict).
struct FlipAverageOption: ParsableArguments {
  @Flag(
    inversion: .prefixedNo,
    help: "Average each face's prediction with that of its mirror image (about 5% lower RMSE, twice the work).")
  var flipAverage = true
}

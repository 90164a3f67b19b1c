// Steps run in the inference plan's layout: images channel-major (C, N, H, W), features (N, F).

/// One compiled inference step over a batch in the plan's layout.
protocol InferenceStep: AnyObject {
  /// Per-sample output shape: [C, H, W] (stored channel-major) or [F] (stored (N, F)).
  var outputShape: [Int] { get }
  /// Apply max(0, x) to the input as it is read (a ReLU deferred from the previous step).
  var reluInput: Bool { get set }
  /// Sizes scratch for batches up to `maxBatch` split over up to `threads` threads (on the caller's thread).
  func reserve(maxBatch: Int, threads: Int)
  /// Runs `batch` samples; `input` may be overwritten.
  func run(input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int)
}

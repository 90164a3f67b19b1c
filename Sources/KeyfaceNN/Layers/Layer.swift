/// The engine's internal layer interface.
///
/// Layers work on raw batches owned by the `Network`: `input` (N, inputShape...), `output` (N, outputShape...).
/// `prepare(inputShape:)` fixes the per-sample geometry once; `forward` may cache what `backward` needs (only
/// when `training`); `backward` accumulates parameter gradients and writes `dInput` unless it is nil (first layer).
protocol Layer: AnyObject {
  /// Trainable parameters, in model-file order.
  var parameters: [Parameter] { get }
  /// Non-trained state saved in model files (batch-norm running statistics).
  var buffers: [Parameter] { get }
  /// Records the per-sample input shape and returns the per-sample output shape.
  func prepare(inputShape: [Int]) -> [Int]
  func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool)
  func backward(
    input: UnsafePointer<Float>, output: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
    dInput: UnsafeMutablePointer<Float>?, batch: Int)
}

extension Layer {
  var parameters: [Parameter] { [] }
  var buffers: [Parameter] { [] }
}

/// A layer that can apply a following ReLU in its own output pass (and mask its backward by output > 0), so the
/// network skips the separate ReLU layer and its memory traffic.
protocol ReLUFusable: Layer {
  var fusedReLU: Bool { get set }
}

extension Conv2d: ReLUFusable {}
extension Linear: ReLUFusable {}
extension BatchNorm2d: ReLUFusable {}

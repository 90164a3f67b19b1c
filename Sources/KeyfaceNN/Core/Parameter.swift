/// A named trainable tensor and its gradient, e.g. `conv1.weight` of shape `(32, 1, 3, 3)`.
///
/// Layers read `value` and accumulate into `grad` during `Network.backward`; `Adam.step` updates `value`.
/// Batch-norm running statistics use the same type (see `Network.buffers`) but are never trained.
public final class Parameter {
  /// The tensor's name in model files, e.g. `"conv1.weight"`, `"bn2.running_var"`.
  public let name: String
  /// Current value.
  public var value: Tensor
  /// Accumulated gradient of the loss with respect to `value`; same shape.
  public var grad: Tensor {
    get {
      materializeZeroGrad()
      return storedGrad
    }
    set {
      storedGrad = newValue
      gradIsZero = false
    }
  }

  private var storedGrad: Tensor
  /// Set by `zeroGrad()` instead of writing zeros: the next backward overwrites the gradient rather than adding
  /// to it (GEMM with beta 0), which saves a pass over large weights. Reading `grad` writes the zeros first.
  private(set) var gradIsZero = false

  /// A parameter named `name` holding `value`, with a zero gradient.
  public init(name: String, value: Tensor) {
    self.name = name
    self.value = value
    self.storedGrad = Tensor(zeros: value.shape)
  }

  /// Marks the gradient as zero without touching its memory.
  func zeroGradLazily() { gradIsZero = true }

  private func materializeZeroGrad() {
    guard gradIsZero else { return }
    gradIsZero = false
    storedGrad.data.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
  }

  /// Runs `body` with the gradient's elements and whether they are to be overwritten (true right after
  /// `zeroGrad()`, when the memory holds stale values) rather than accumulated into.
  @inline(__always)
  func accumulateGrad<R>(_ body: (UnsafeMutablePointer<Float>, _ overwrite: Bool) throws -> R) rethrows -> R {
    let overwrite = gradIsZero
    gradIsZero = false
    return try storedGrad.data.withUnsafeMutableBufferPointer { try body($0.baseAddress!, overwrite) }
  }

  /// Runs `body` with read access to the value's elements.
  @inline(__always)
  func withValue<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
    try value.data.withUnsafeBufferPointer { try body($0.baseAddress!) }
  }

  /// Runs `body` with write access to the value's elements.
  @inline(__always)
  func withMutableValue<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
    try value.data.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
  }

  /// Runs `body` with write access to the gradient's elements (zeros written first if pending).
  @inline(__always)
  func withMutableGrad<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
    materializeZeroGrad()
    return try storedGrad.data.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
  }

  /// Runs `body` with read access to the gradient's elements (zeros written first if pending).
  @inline(__always)
  func withGrad<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
    materializeZeroGrad()
    return try storedGrad.data.withUnsafeBufferPointer { try body($0.baseAddress!) }
  }
}

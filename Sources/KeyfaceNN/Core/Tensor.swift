/// A dense float32 tensor: images are NCHW `(N, C, H, W)`, features are `(N, F)`.
///
/// A plain value type for the public API; the engine works on its own preallocated buffers internally.
public struct Tensor: Equatable {
  /// Dimensions, outermost first, e.g. `[32, 1, 96, 96]`.
  public var shape: [Int]
  /// Elements in row-major order; `data.count == shape.product`.
  public var data: [Float]

  /// Wraps `data` with `shape`; the element counts must agree.
  public init(shape: [Int], data: [Float]) {
    require(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
    require(shape.reduce(1, *) == data.count, "Tensor: shape \(shape) needs \(shape.reduce(1, *)) elements, got \(data.count)")
    self.shape = shape
    self.data = data
  }

  /// A tensor of `shape` filled with zeros.
  public init(zeros shape: [Int]) {
    self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
  }

  /// Number of elements.
  public var count: Int { data.count }
}

/// One layer of an `Architecture`, as stored in a model file's `__metadata__["architecture"]`.
///
/// Encoded by Swift's synthesised `Codable`, e.g. `{"conv":{"out":32,"kernel":3,"stride":1,"padding":0}}`,
/// `{"relu":{}}`, `{"linear":{"out":512}}`.
public indirect enum LayerSpec: Codable, Equatable {
  /// 2-D convolution with bias: `out` channels (32), square `kernel` (3), `stride` (1), zero `padding` (0 = Keras 'valid').
  case conv(out: Int, kernel: Int, stride: Int, padding: Int)
  /// Batch normalisation over channels (momentum 0.1, epsilon 1e-5, as PyTorch).
  case batchNorm
  /// max(0, x).
  case relu
  /// Non-overlapping max pooling, `size` x `size` window with stride `size`, floor mode (Keras 'valid').
  case maxPool(size: Int)
  /// Inverted dropout with drop probability `p` (0.2) in training; identity in inference.
  case dropout(p: Float)
  /// Mean over each channel's plane: (N, C, H, W) -> (N, C).
  case globalAvgPool
  /// (N, C, H, W) -> (N, C*H*W) in PyTorch (channel-major) order.
  case flatten
  /// Fully connected layer with bias to `out` features (512).
  case linear(out: Int)
  /// Each channel's expected position under a softmax over its plane: (N, C, H, W) -> (N, 2C), x and y in -1...1
  /// across the plane (see `SoftArgmax`).
  case softArgmax
}

extension LayerSpec: CustomStringConvertible {
  /// A short human-readable form, e.g. `conv(32, k3, s2, p1)`.
  public var description: String {
    switch self {
    case let .conv(out, kernel, stride, padding): return "conv(\(out), k\(kernel), s\(stride), p\(padding))"
    case .batchNorm: return "batchNorm"
    case .relu: return "relu"
    case let .maxPool(size): return "maxPool(\(size))"
    case let .dropout(p): return "dropout(\(p))"
    case .globalAvgPool: return "globalAvgPool"
    case .flatten: return "flatten"
    case let .linear(out): return "linear(\(out))"
    case .softArgmax: return "softArgmax"
    }
  }
}

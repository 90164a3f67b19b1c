/// A network's layers plus everything needed to feed it pixels and read keypoints from it.
///
/// Stored as JSON in a model file's `__metadata__["architecture"]`, so a model file alone is enough to rebuild
/// the network.
public struct Architecture: Codable, Equatable {
  /// Preset name, e.g. `"seed"`, `"keyface"`.
  public var name: String
  /// Side of the square input crop in pixels (96).
  public var inputSize: Int
  /// Input channels (1 = grey).
  public var inputChannels: Int
  /// Layers in order.
  public var layers: [LayerSpec]
  /// Network outputs: 30 = 15 keypoints (x, y), or 31 when the last output is a face-score logit.
  public var outputCount: Int
  /// Network input = pixel value (0...255) * inputScale + inputOffset (1/255 and 0 for the seed).
  public var inputScale: Float
  /// See `inputScale` (0).
  public var inputOffset: Float
  /// Output o maps to crop pixels as o * targetScale + targetCenter (48).
  public var targetCenter: Float
  /// See `targetCenter` (48).
  public var targetScale: Float
  /// Set for a refinement network (`keyface-patches`): patch pixels per 96-px crop unit of the finest keypoint
  /// patches it reads (see `KeypointPatches`); its input channels are the 15 keypoints' patches at one or more
  /// scales (15 channels per scale) and its outputs the points in the finest patches' pixels. Nil (absent from the file) for networks that read a face crop.
  public var patchResolution: Float?

  /// Creates an architecture; call `validate()` (or build a `Network`) to check the layers fit together.
  public init(
    name: String, inputSize: Int, inputChannels: Int, layers: [LayerSpec], outputCount: Int,
    inputScale: Float, inputOffset: Float, targetCenter: Float, targetScale: Float, patchResolution: Float? = nil
  ) {
    self.name = name
    self.inputSize = inputSize
    self.inputChannels = inputChannels
    self.layers = layers
    self.outputCount = outputCount
    self.inputScale = inputScale
    self.inputOffset = inputOffset
    self.targetCenter = targetCenter
    self.targetScale = targetScale
    self.patchResolution = patchResolution
  }

  /// Number of keypoints the network predicts (15).
  public var keypointCount: Int { outputCount / 2 }

  /// Whether the last output is a face-score logit (odd output count).
  public var hasScore: Bool { outputCount % 2 == 1 }

  /// Whether weights start as Keras's defaults (glorot_uniform everywhere) rather than He-uniform.
  ///
  /// Only the `seed` preset reproduces Keras; every other architecture uses He initialisation for layers
  /// followed by ReLU, which trains deeper nets faster.
  public var usesKerasInitialization: Bool { name == "seed" }

  /// The Keras notebook's model exactly: three valid 3x3 convolutions (32, 64, 128) with ReLU, max pooling
  /// after the first two, Dense(512)+ReLU, Dense(30). About 26.5 M parameters (105 MB as float32).
  public static let seed = Architecture(
    name: "seed", inputSize: 96, inputChannels: 1,
    layers: [
      .conv(out: 32, kernel: 3, stride: 1, padding: 0), .relu, .maxPool(size: 2),
      .conv(out: 64, kernel: 3, stride: 1, padding: 0), .relu, .maxPool(size: 2),
      .conv(out: 128, kernel: 3, stride: 1, padding: 0), .relu,
      .flatten, .linear(out: 512), .relu, .linear(out: 30),
    ],
    outputCount: 30, inputScale: 1.0 / 255.0, inputOffset: 0, targetCenter: 48, targetScale: 48)

  /// The default model: the seed's three valid convolutions with a fourth pooling and a 1x1 bottleneck, so the
  /// dense layer reads a 10x10 map, and a face-score output (31 outputs); ~1.75 M parameters, a 7 MB file.
  ///
  /// 96 -> conv 32 -> 94, pool -> 47 -> conv 64 -> 45, pool -> 22 -> conv 128 -> 20, pool -> 10 -> conv 1x1 32 ->
  /// flatten (3200) -> linear(512) -> linear(31). It keeps the seed's spatial read-out, which measured better than a
  /// deeper batch-normalised net pooled to 3x3 (1.68 px against 2.02 px on the identity split, same data).
  public static let keyface = Architecture(
    name: "keyface", inputSize: 96, inputChannels: 1,
    layers: [
      .conv(out: 32, kernel: 3, stride: 1, padding: 0), .relu, .maxPool(size: 2),
      .conv(out: 64, kernel: 3, stride: 1, padding: 0), .relu, .maxPool(size: 2),
      .conv(out: 128, kernel: 3, stride: 1, padding: 0), .relu, .maxPool(size: 2),
      .conv(out: 32, kernel: 1, stride: 1, padding: 0), .relu,
      .flatten, .linear(out: 512), .relu, .linear(out: 31),
    ],
    outputCount: 31, inputScale: 1.0 / 255.0, inputOffset: 0, targetCenter: 48, targetScale: 48)

  /// `keyface` with a second 3x3 convolution (128 channels, padded) before the third pooling: a wider receptive
  /// field for the 10x10 read-out at ~1.8x the work.
  public static let keyfaceDeep = Architecture(
    name: "keyface-deep", inputSize: 96, inputChannels: 1,
    layers: [
      .conv(out: 32, kernel: 3, stride: 1, padding: 0), .relu, .maxPool(size: 2),
      .conv(out: 64, kernel: 3, stride: 1, padding: 0), .relu, .maxPool(size: 2),
      .conv(out: 128, kernel: 3, stride: 1, padding: 0), .relu,
      .conv(out: 128, kernel: 3, stride: 1, padding: 1), .relu, .maxPool(size: 2),
      .conv(out: 32, kernel: 1, stride: 1, padding: 0), .relu,
      .flatten, .linear(out: 512), .relu, .linear(out: 31),
    ],
    outputCount: 31, inputScale: 1.0 / 255.0, inputOffset: 0, targetCenter: 48, targetScale: 48)

  /// `keyface` with batch normalisation after every convolution: steadier, faster training of the same layout
  /// (the same recipe reaches a lower error in fewer epochs). The normalisation folds into the convolutions at
  /// inference, so it costs nothing there.
  public static let keyfaceBN = keyface.withBatchNorm(named: "keyface-bn")

  /// `keyface-deep` with batch normalisation after every convolution.
  public static let keyfaceDeepBN = keyfaceDeep.withBatchNorm(named: "keyface-deep-bn")

  /// This architecture with a batch normalisation after every convolution, named `name`.
  public func withBatchNorm(named name: String) -> Architecture {
    var copy = self
    copy.name = name
    copy.layers = layers.flatMap { layer -> [LayerSpec] in
      if case .conv = layer { return [layer, .batchNorm] }
      return [layer]
    }
    return copy
  }

  /// This architecture with dropout of probability `p` before every linear layer (the dense head, where nearly
  /// all the parameters are); the same name, as dropout changes nothing at inference.
  public func withDropout(_ p: Float) -> Architecture {
    var copy = self
    copy.layers = layers.flatMap { layer -> [LayerSpec] in
      if case .linear = layer { return [.dropout(p: p), layer] }
      return [layer]
    }
    return copy
  }

  /// The refinement network: for each keypoint a 40x40 patch at 2.5 px per crop unit (a face's outer eye corners
  /// about 128 px apart, see `KeypointPatches`) and one at half that resolution, which shows four times the area
  /// around it: 30 channels. Fully convolutional: a padded 3x3
  /// convolution at full resolution, a 2x2 pooling, three padded 3x3 convolutions at 20x20, the last giving one map
  /// per keypoint, and a soft-argmax that reads each keypoint's place from its map (2 patch pixels per map pixel,
  /// sub-pixel through the softmax's expectation). Batch norm after every convolution but the last. About 0.09 M
  /// parameters and 50 M multiply-adds (the frame model: 1.75 M and 70 M); a smaller one (32/48/48 channels)
  /// was a third faster and 6% less accurate on the validation people's faces of 120 px and more.
  public static let keyfacePatches = Architecture(
    name: "keyface-patches", inputSize: 40, inputChannels: 30,
    layers: [
      .conv(out: 48, kernel: 3, stride: 1, padding: 1), .batchNorm, .relu, .maxPool(size: 2),
      .conv(out: 64, kernel: 3, stride: 1, padding: 1), .batchNorm, .relu,
      .conv(out: 64, kernel: 3, stride: 1, padding: 1), .batchNorm, .relu,
      .conv(out: 15, kernel: 3, stride: 1, padding: 1),
      .softArgmax,
    ],
    outputCount: 30, inputScale: 1.0 / 255.0, inputOffset: -0.5, targetCenter: 20, targetScale: 20,
    patchResolution: 2.5)

  /// The presets by name.
  public static let presets: [String: Architecture] = [
    "seed": seed, "keyface": keyface, "keyface-deep": keyfaceDeep, "keyface-bn": keyfaceBN,
    "keyface-deep-bn": keyfaceDeepBN, "keyface-patches": keyfacePatches,
  ]

  /// Per-sample output shape of every layer, starting with the input `[C, H, W]`; throws if a layer does not fit
  /// its input or the last shape is not `[outputCount]`.
  public func shapes() throws -> [[Int]] {
    guard inputSize > 0, inputSize <= 4096, inputChannels > 0, inputChannels <= 64 else {
      throw ArchitectureError("input \(inputChannels)x\(inputSize)x\(inputSize) is out of range")
    }
    guard inputScale.isFinite, inputOffset.isFinite, targetCenter.isFinite, targetScale.isFinite else {
      throw ArchitectureError("non-finite normalisation constants")
    }
    if let patchResolution, !(patchResolution > 0 && patchResolution <= 64) {
      throw ArchitectureError("patch resolution \(patchResolution) is out of range")
    }
    var shape = [inputChannels, inputSize, inputSize]
    var result = [shape]
    for (index, layer) in layers.enumerated() {
      let at = "layer \(index + 1) (\(layer))"
      switch layer {
      case let .conv(out, kernel, stride, padding):
        guard shape.count == 3 else { throw ArchitectureError("\(at) needs an image input, got \(shape)") }
        guard out > 0, out <= 8192, kernel > 0, kernel <= 15, stride > 0, stride <= 8, padding >= 0, padding < kernel
        else { throw ArchitectureError("\(at) has invalid settings") }
        let height = (shape[1] + 2 * padding - kernel) / stride + 1
        let width = (shape[2] + 2 * padding - kernel) / stride + 1
        guard shape[1] + 2 * padding >= kernel, height > 0, width > 0 else {
          throw ArchitectureError("\(at) does not fit its \(shape[1])x\(shape[2]) input")
        }
        shape = [out, height, width]
      case .batchNorm:
        guard shape.count == 3 else { throw ArchitectureError("\(at) needs an image input, got \(shape)") }
      case .relu:
        break
      case let .maxPool(size):
        guard shape.count == 3 else { throw ArchitectureError("\(at) needs an image input, got \(shape)") }
        guard size > 0, shape[1] >= size, shape[2] >= size else {
          throw ArchitectureError("\(at) does not fit its \(shape[1])x\(shape[2]) input")
        }
        shape = [shape[0], shape[1] / size, shape[2] / size]
      case let .dropout(p):
        guard p >= 0, p < 1 else { throw ArchitectureError("\(at) needs 0 <= p < 1") }
      case .globalAvgPool:
        guard shape.count == 3 else { throw ArchitectureError("\(at) needs an image input, got \(shape)") }
        shape = [shape[0]]
      case .flatten:
        shape = [shape.reduce(1, *)]
      case .softArgmax:
        guard shape.count == 3 else { throw ArchitectureError("\(at) needs an image input, got \(shape)") }
        shape = [2 * shape[0]]
      case let .linear(out):
        guard shape.count == 1 else { throw ArchitectureError("\(at) needs flat features; add flatten first") }
        guard out > 0, out <= 1 << 20 else { throw ArchitectureError("\(at) has invalid settings") }
        shape = [out]
      }
      // Bound each activation (268 MB per sample) so a hostile model file cannot demand absurd allocations.
      guard shape.reduce(1, *) <= 1 << 26 else { throw ArchitectureError("\(at) output \(shape) is too large") }
      result.append(shape)
    }
    guard shape == [outputCount] else {
      throw ArchitectureError("the last layer gives \(shape), expected [\(outputCount)] outputs")
    }
    guard outputCount > 0 else {
      throw ArchitectureError("output count \(outputCount) is invalid")
    }
    return result
  }

  /// Number of floats stored in a model file for this architecture: weights, biases and batch-norm
  /// gamma, beta, running mean and variance. Throws like `shapes()`.
  public func storedValueCount() throws -> Int {
    let shapes = try shapes()
    var total = 0
    for (index, layer) in layers.enumerated() {
      let input = shapes[index]
      switch layer {
      case let .conv(out, kernel, _, _): total += out * input[0] * kernel * kernel + out
      case .batchNorm: total += 4 * input[0]
      case let .linear(out): total += out * input[0] + out
      default: break
      }
    }
    return total
  }

  /// Throws if the layers do not fit together (see `shapes()`).
  public func validate() throws { _ = try shapes() }
}

/// Why an architecture's layers do not fit together.
public struct ArchitectureError: Error, CustomStringConvertible {
  /// One line, e.g. `layer 4 (linear(512)) needs flat features; add flatten first`.
  public let description: String
  init(_ description: String) { self.description = description }
}

// The network: layers built from an Architecture, the activations they share, and the public forward/backward.
// Model-file I/O lives in Network+Safetensors.swift; fast inference on UInt8 crops in KeypointPredictor.swift.
import Foundation

/// A convolutional network built from an `Architecture`, trainable with `forward(training: true)`, `backward`
/// and `Adam`.
///
/// Not thread-safe: activations and scratch buffers are owned by the instance and reused between calls. Use one
/// `KeypointPredictor` per thread for concurrent inference.
public final class Network {
  /// The layers and normalisation this network was built from.
  public let architecture: Architecture
  /// Trainable tensors in model-file order (convolution and linear weights and biases, batch-norm gamma and beta).
  public let parameters: [Parameter]
  /// Non-trained state saved in model files: batch-norm running means and variances.
  public let buffers: [Parameter]
  /// The model file's `__metadata__` when loaded from a file (empty for a fresh network).
  public internal(set) var metadata: [String: String] = [:]
  /// Crop pixels added to every predicted x (e.g. 0.45): the model's horizontal calibration, measured by the
  /// trainer on its training faces and saved as `__metadata__["horizontal_offset"]`. A network trained with
  /// mirrored faces cannot learn where the annotations sit horizontally relative to the features they mark (a
  /// mirror reverses any such offset, so the two halves of the training data cancel it); without this the
  /// bundled frame model's points sit 0.4-0.5 px left of the annotations on its own training faces, in every
  /// head pose. Flip averaging mirrors about `side + 2 * horizontalOffset` to keep it. 0 for a fresh network.
  public var horizontalOffset: Float = 0

  let layers: [Layer]
  let shapes: [[Int]]  // per-sample shapes: input [C, H, W], then each layer's output
  private let activations: [Buffer]  // activations[i]: (N, shapes[i]...); a skipped layer's output aliases its input
  private let skipped: [Bool]  // layers folded into their predecessor (fused ReLU) or pure reshapes (flatten)
  private let gradientA = Buffer()  // ping-pong buffers for d(activation) during backward
  private let gradientB = Buffer()
  private var lastBatch = 0
  /// KEYFACE_NN_PROFILE=1 times every layer's forward and backward and prints a table to stderr when the network
  /// is released (a developer aid for tuning the kernels).
  private static let profiling = ProcessInfo.processInfo.environment["KEYFACE_NN_PROFILE"] != nil
  private var forwardSeconds: [Double] = []
  private var backwardSeconds: [Double] = []
  private var lastForwardWasTraining = false

  /// A network with deterministic initial weights for `seed`: glorot_uniform for the `seed` preset (as Keras),
  /// He-uniform for layers feeding a ReLU otherwise; zero biases; batch norm gamma 1, beta 0.
  ///
  /// The architecture must be valid (see `Architecture.validate()`); an invalid one is a programming error.
  public convenience init(architecture: Architecture, seed: UInt64) {
    do {
      try self.init(validating: architecture, sharing: nil)
    } catch {
      fatalError("Network: invalid architecture '\(architecture.name)': \(error)")
    }
    initializeWeights(seed: seed)
  }

  /// Builds the layers for `architecture` with zero weights, or over `shared`'s parameter objects.
  init(validating architecture: Architecture, sharing shared: Network?) throws {
    let shapes = try architecture.shapes()
    self.architecture = architecture
    self.shapes = shapes
    var layers: [Layer] = []
    var convCount = 0, bnCount = 0, fcCount = 0, dropCount = 0
    for (index, spec) in architecture.layers.enumerated() {
      let inShape = shapes[index]
      let layer: Layer
      switch spec {
      case let .conv(out, kernel, stride, padding):
        convCount += 1
        if let source = shared?.layers[index] as? Conv2d {
          layer = Conv2d(
            inputChannels: inShape[0], kernelSize: kernel, stride: stride, padding: padding, weight: source.weight,
            bias: source.bias)
        } else {
          layer = Conv2d(
            inputChannels: inShape[0], outputChannels: out, kernelSize: kernel, stride: stride, padding: padding,
            name: "conv\(convCount)")
        }
      case .batchNorm:
        bnCount += 1
        if let source = shared?.layers[index] as? BatchNorm2d {
          layer = BatchNorm2d(
            weight: source.weight, bias: source.bias, runningMean: source.runningMean, runningVar: source.runningVar)
        } else {
          layer = BatchNorm2d(channels: inShape[0], name: "bn\(bnCount)")
        }
      case .relu:
        layer = ReLU()
      case let .maxPool(size):
        layer = MaxPool2d(size: size)
      case let .dropout(p):
        dropCount += 1
        layer = Dropout(probability: p, seed: 0x6B65_7966_6163_6500 &+ UInt64(dropCount))
      case .globalAvgPool:
        layer = GlobalAvgPool()
      case .flatten:
        layer = Flatten()
      case .softArgmax:
        layer = SoftArgmax()
      case let .linear(out):
        fcCount += 1
        if let source = shared?.layers[index] as? Linear {
          layer = Linear(weight: source.weight, bias: source.bias)
        } else {
          layer = Linear(inputFeatures: inShape[0], outputFeatures: out, name: "fc\(fcCount)")
        }
      }
      let outShape = layer.prepare(inputShape: inShape)
      require(outShape == shapes[index + 1], "Network: layer \(index) shape disagrees with Architecture.shapes()")
      layers.append(layer)
    }
    // Fuse each ReLU into the convolution, linear or batch-norm layer before it, and make flatten a no-op.
    var skipped = [Bool](repeating: false, count: layers.count)
    for index in layers.indices {
      if layers[index] is Flatten { skipped[index] = true }
      if index + 1 < layers.count, layers[index + 1] is ReLU, let fusable = layers[index] as? ReLUFusable {
        fusable.fusedReLU = true
        skipped[index + 1] = true
      }
    }
    var activations = [Buffer()]
    for index in layers.indices { activations.append(skipped[index] ? activations[index] : Buffer()) }
    self.layers = layers
    self.skipped = skipped
    self.activations = activations
    parameters = layers.flatMap { $0.parameters }
    buffers = layers.flatMap { $0.buffers }
  }

  /// Re-seeds every dropout layer so a training run is reproducible from its own seed.
  func reseedDropout(_ seed: UInt64) {
    var count: UInt64 = 0
    for case let layer as Dropout in layers {
      count += 1
      layer.reseed(seed &+ count &* 0x9E37_79B9)
    }
  }

  private func initializeWeights(seed: UInt64) {
    var generator = SplitMix64(seed: seed)
    reseedDropout(seed ^ 0xD1B5_4A32_D192_ED03)
    let keras = architecture.usesKerasInitialization
    for (index, layer) in layers.enumerated() {
      // He initialisation only where a ReLU follows (possibly after batch norm).
      let feedsReLU = architecture.layers[(index + 1)...].prefix(2).contains(.relu)
      let weight: Parameter
      let fanIn: Int
      let fanOut: Int
      if let conv = layer as? Conv2d {
        weight = conv.weight
        let area = conv.kernelSize * conv.kernelSize
        fanIn = conv.inputChannels * area
        fanOut = conv.outputChannels * area
      } else if let linear = layer as? Linear {
        weight = linear.weight
        fanIn = linear.inputFeatures
        fanOut = linear.outputFeatures
      } else {
        continue
      }
      let limit: Float
      if keras || !feedsReLU {
        limit = (6 / Float(fanIn + fanOut)).squareRoot()  // glorot_uniform
      } else {
        limit = (6 / Float(fanIn)).squareRoot()  // he_uniform
      }
      weight.withMutableValue { w in
        for i in 0..<weight.value.count { w[i] = generator.nextSymmetric(limit) }
      }
    }
  }

  // MARK: - Forward and backward

  /// Sizes every activation buffer for `batch` samples.
  private func reserve(batch: Int) {
    for (index, shape) in shapes.enumerated() {
      activations[index].reserve(batch * shape.reduce(1, *))
    }
  }

  /// Runs the layers on `batch` samples already written to `inputPointer(batch:)`; returns the output (N, outputCount).
  func run(batch: Int, training: Bool) -> UnsafeMutablePointer<Float> {
    for (index, layer) in layers.enumerated() where !skipped[index] {
      let start = Network.profiling ? DispatchTime.now().uptimeNanoseconds : 0
      layer.forward(
        input: activations[index].pointer, output: activations[index + 1].pointer, batch: batch, training: training)
      if Network.profiling { record(&forwardSeconds, index, since: start) }
    }
    lastBatch = batch
    lastForwardWasTraining = training
    return activations[layers.count].pointer
  }

  /// The input buffer (N, C, H, W), sized for `batch`; write the normalised input here, then call `run`.
  func inputPointer(batch: Int) -> UnsafeMutablePointer<Float> {
    reserve(batch: batch)
    return activations[0].pointer
  }

  /// Runs the network on `x` (N, C, H, W), already normalised (see `Architecture.inputScale`); returns (N, outputCount).
  ///
  /// With `training: true`, batch norm uses batch statistics (and updates its running statistics), dropout drops,
  /// and the activations are kept for `backward`.
  public func forward(_ x: Tensor, training: Bool) -> Tensor {
    let input = shapes[0]
    require(
      x.shape.count == 4 && Array(x.shape[1...]) == input,
      "Network.forward: expected (N, \(input.map(String.init).joined(separator: ", "))), got \(x.shape)")
    let batch = x.shape[0]
    let pointer = inputPointer(batch: batch)
    x.data.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: x.count) }
    let output = run(batch: batch, training: training)
    let outputCount = architecture.outputCount
    return Tensor(shape: [batch, outputCount], data: Array(UnsafeBufferPointer(start: output, count: batch * outputCount)))
  }

  /// Back-propagates `dOutput` (N, outputCount), the loss gradient for the last `forward(training: true)`,
  /// accumulating into every parameter's `grad`.
  public func backward(_ dOutput: Tensor) {
    require(lastForwardWasTraining, "Network.backward: call forward(_:training: true) first")
    let batch = lastBatch
    require(dOutput.shape == [batch, architecture.outputCount], "Network.backward: dOutput shape \(dOutput.shape)")
    let largest = shapes.map { $0.reduce(1, *) }.max()! * batch
    var current = gradientA.reserve(largest)
    var next = gradientB.reserve(largest)
    dOutput.data.withUnsafeBufferPointer { current.update(from: $0.baseAddress!, count: dOutput.count) }
    for index in stride(from: layers.count - 1, through: 0, by: -1) where !skipped[index] {
      let start = Network.profiling ? DispatchTime.now().uptimeNanoseconds : 0
      layers[index].backward(
        input: activations[index].pointer, output: activations[index + 1].pointer, dOutput: current,
        dInput: index == 0 ? nil : next, batch: batch)
      if Network.profiling { record(&backwardSeconds, index, since: start) }
      swap(&current, &next)
    }
  }

  private func record(_ table: inout [Double], _ index: Int, since start: UInt64) {
    if table.isEmpty { table = [Double](repeating: 0, count: layers.count) }
    table[index] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }

  deinit {
    guard Network.profiling, !forwardSeconds.isEmpty else { return }
    var report = "layer                      forward s  backward s\n"
    for (index, spec) in architecture.layers.enumerated() where !skipped[index] {
      let name = "\(index + 1) \(spec)".padding(toLength: 26, withPad: " ", startingAt: 0)
      let backward = backwardSeconds.isEmpty ? 0 : backwardSeconds[index]
      report += name + String(format: " %9.3f  %10.3f\n", forwardSeconds[index], backward)
    }
    FileHandle.standardError.write(Data(report.utf8))
  }

  /// Sets every parameter's gradient to zero.
  public func zeroGrad() {
    // Lazily: the next backward overwrites instead of accumulating; reading `grad` before that sees zeros.
    for parameter in parameters { parameter.zeroGradLazily() }
  }

  /// Sets how many threads the engine splits each layer over (process-wide; default: all processors).
  ///
  /// The engine runs OpenBLAS single-threaded inside each of its own parts, so BLAS worker threads never spin
  /// against the engine's loops; `n` is effectively what `openblas_set_num_threads(n)` would mean.
  public static func setThreads(_ n: Int) { BLAS.setThreads(n) }

  /// The OpenBLAS kernel family in use, e.g. "SkylakeX" (for benchmark reports).
  public static var blasCoreName: String { BLAS.coreName }

  /// Total number of trainable scalars.
  public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}

import XCTest

@testable import KeyfaceNN

/// A small architecture with every layer kind, cheap enough for debug-build tests.
let tinyArchitecture = Architecture(
  name: "tiny", inputSize: 8, inputChannels: 1,
  layers: [
    .conv(out: 4, kernel: 3, stride: 1, padding: 1), .batchNorm, .relu, .maxPool(size: 2),
    .conv(out: 6, kernel: 3, stride: 2, padding: 1), .relu, .flatten, .linear(out: 16), .relu, .dropout(p: 0.1),
    .linear(out: 31),
  ],
  outputCount: 31, inputScale: 1.0 / 255.0, inputOffset: 0, targetCenter: 4, targetScale: 4)

final class NetworkTests: XCTestCase {
  func testPresetShapes() throws {
    let seed = try Architecture.seed.shapes()
    XCTAssertEqual(seed[1], [32, 94, 94])
    XCTAssertEqual(seed[8], [128, 20, 20])
    XCTAssertEqual(seed[9], [51200])
    XCTAssertEqual(seed.last, [30])
    let keyface = try Architecture.keyface.shapes()
    XCTAssertEqual(keyface[1], [32, 94, 94])
    XCTAssertEqual(keyface[12], [3200])
    XCTAssertEqual(keyface.last, [31])
    let network = Network(architecture: .keyface, seed: 1)
    XCTAssertLessThan(network.parameterCount * 4, 8_000_000)  // model file <= 8 MB
    XCTAssertEqual(network.parameters.first?.name, "conv1.weight")
    XCTAssertEqual(network.parameters.last?.name, "fc2.bias")
    XCTAssertTrue(Network(architecture: tinyArchitecture, seed: 1).buffers.contains { $0.name == "bn1.running_mean" })
  }

  /// The batch-normalised presets are their plain namesakes with a batch norm after each convolution; the
  /// output shapes are unchanged.
  func testBatchNormPresetsFollowEveryConvolution() throws {
    for (plain, normed) in [(Architecture.keyface, Architecture.keyfaceBN), (.keyfaceDeep, .keyfaceDeepBN)] {
      XCTAssertEqual(Architecture.presets[normed.name], normed)
      XCTAssertEqual(normed.layers.filter { $0 == .batchNorm }.count, plain.layers.filter {
        if case .conv = $0 { return true } else { return false }
      }.count)
      for (index, layer) in normed.layers.enumerated() {
        if case .conv = layer { XCTAssertEqual(normed.layers[index + 1], .batchNorm) }
      }
      XCTAssertEqual(normed.layers.filter { $0 != .batchNorm }, plain.layers)
      XCTAssertEqual(try normed.shapes().last, try plain.shapes().last)
      let network = Network(architecture: normed, seed: 1)
      XCTAssertTrue(network.buffers.contains { $0.name == "bn4.running_var" })
    }
  }

  /// Dropout goes before each dense layer, keeps the weights' names, and changes only training.
  func testDropoutPrecedesEveryLinearLayerAndOnlyTrains() throws {
    let dropped = Architecture.keyface.withDropout(0.4)
    XCTAssertEqual(dropped.layers.filter { $0 != .dropout(p: 0.4) }, Architecture.keyface.layers)
    for (index, layer) in dropped.layers.enumerated() {
      if case .linear = layer { XCTAssertEqual(dropped.layers[index - 1], .dropout(p: 0.4)) }
    }
    let plain = Network(architecture: .keyface, seed: 1)
    let network = Network(architecture: dropped, seed: 2)
    XCTAssertEqual(network.parameters.map(\.name), plain.parameters.map(\.name))
    for (a, b) in zip(network.parameters, plain.parameters) { a.value = b.value }
    let input = Tensor(shape: [2, 1, 96, 96], data: (0..<(2 * 9216)).map { Float($0 % 97) / 97 })
    XCTAssertEqual(network.forward(input, training: false), plain.forward(input, training: false))
    XCTAssertNotEqual(network.forward(input, training: true), plain.forward(input, training: true))
  }

  func testInvalidArchitecturesAreRejected() {
    var noFlatten = tinyArchitecture
    noFlatten.layers.removeAll { $0 == .flatten }
    XCTAssertThrowsError(try noFlatten.validate()) { XCTAssertTrue("\($0)".contains("flatten")) }
    var wrongCount = tinyArchitecture
    wrongCount.outputCount = 30
    XCTAssertThrowsError(try wrongCount.validate())
    var tooSmall = tinyArchitecture
    tooSmall.inputSize = 1
    XCTAssertThrowsError(try tooSmall.validate())
  }

  func testArchitectureRoundTripsThroughJSON() throws {
    let data = try JSONEncoder().encode(Architecture.keyface)
    XCTAssertEqual(try JSONDecoder().decode(Architecture.self, from: data), .keyface)
  }

  func testInitializationIsDeterministic() {
    let a = Network(architecture: tinyArchitecture, seed: 5)
    let b = Network(architecture: tinyArchitecture, seed: 5)
    let c = Network(architecture: tinyArchitecture, seed: 6)
    XCTAssertEqual(a.parameters[0].value, b.parameters[0].value)
    XCTAssertNotEqual(a.parameters[0].value, c.parameters[0].value)
    // glorot_uniform bound for the seed preset's first conv: sqrt(6 / (9 + 288)).
    XCTAssertEqual(Architecture.seed.usesKerasInitialization, true)
  }

  /// Whole-network backward (conv, BN, pool, strided conv, linear) against finite differences of the masked MSE.
  func testNetworkGradientsMatchFiniteDifferences() {
    var architecture = tinyArchitecture
    architecture.layers.removeAll { $0 == .dropout(p: 0.1) }
    let network = Network(architecture: architecture, seed: 3)
    let x = Tensor(shape: [3, 1, 8, 8], data: GradientCheck.random(3 * 64, seed: 1))
    let target = Tensor(shape: [3, 31], data: GradientCheck.random(93, seed: 2))
    var maskData = [Float](repeating: 1, count: 93)
    maskData[5] = 0
    let mask = Tensor(shape: [3, 31], data: maskData)
    GradientCheck.checkNetwork(network, input: x, target: target, mask: mask, samples: 6)
  }

  /// One and two threads split the work differently (samples, output rows, features) but compute the same step.
  func testThreadCountsAgree() {
    func step(threads: Int) -> (Tensor, [Tensor]) {
      Network.setThreads(threads)
      let network = Network(architecture: tinyArchitecture, seed: 2)
      let x = Tensor(shape: [3, 1, 8, 8], data: GradientCheck.random(192, seed: 8))
      network.zeroGrad()
      let output = network.forward(x, training: true)
      network.backward(Tensor(shape: [3, 31], data: GradientCheck.random(93, seed: 9)))
      return (output, network.parameters.map(\.grad))
    }
    let saved = Parallel.threads
    defer { Network.setThreads(saved) }
    let (out1, grads1) = step(threads: 1)
    let (out2, grads2) = step(threads: 2)
    for i in 0..<out1.count { XCTAssertEqual(out1.data[i], out2.data[i], accuracy: 1e-5) }
    for (a, b) in zip(grads1, grads2) {
      for i in 0..<a.count { XCTAssertEqual(a.data[i], b.data[i], accuracy: 1e-4) }
    }
    let predictor = { (threads: Int) -> [SIMD2<Float>] in
      Network.setThreads(threads)
      let network = Network(architecture: tinyArchitecture, seed: 2)
      return KeypointPredictor(network: network, maxBatch: 1).predict(crop: (0..<64).map { UInt8($0 * 3) }).points
    }
    let p1 = predictor(1), p2 = predictor(2)
    for k in 0..<15 {
      XCTAssertEqual(p1[k].x, p2[k].x, accuracy: 1e-4)
      XCTAssertEqual(p1[k].y, p2[k].y, accuracy: 1e-4)
    }
  }

  func testGradientsAccumulateUntilZeroed() {
    let network = Network(architecture: tinyArchitecture, seed: 1)
    let x = Tensor(shape: [2, 1, 8, 8], data: GradientCheck.random(128, seed: 3))
    let d = Tensor(shape: [2, 31], data: GradientCheck.random(62, seed: 4))
    network.zeroGrad()
    _ = network.forward(x, training: true)
    network.backward(d)
    let once = network.parameters.last!.grad.data
    _ = network.forward(x, training: true)
    network.backward(d)
    let twice = network.parameters.last!.grad.data
    for i in 0..<once.count { XCTAssertEqual(twice[i], 2 * once[i], accuracy: 1e-5) }
    network.zeroGrad()
    XCTAssertTrue(network.parameters.allSatisfy { $0.grad.data.allSatisfy { $0 == 0 } })
  }

  func testAdamMatchesHandComputedStep() {
    let parameter = Parameter(name: "fc1.weight", value: Tensor(shape: [1, 2], data: [1, -1]))
    parameter.grad = Tensor(shape: [1, 2], data: [0.5, -2])
    let adam = Adam(parameters: [parameter])
    adam.step(learningRate: 0.1)
    // First step: m = 0.1 g, v = 0.001 g^2, alpha = 0.1 * sqrt(0.001) / 0.1 -> update = 0.1 * sign(g) (up to eps).
    XCTAssertEqual(parameter.value.data[0], 0.9, accuracy: 1e-5)
    XCTAssertEqual(parameter.value.data[1], -0.9, accuracy: 1e-5)
    let decayed = Parameter(name: "fc1.weight", value: Tensor(shape: [1, 1], data: [2]))
    let adamW = Adam(parameters: [decayed], weightDecay: 0.5)
    adamW.step(learningRate: 0.1)  // zero gradient: only decay, w -= 0.1 * 0.5 * 2
    XCTAssertEqual(decayed.value.data[0], 1.9, accuracy: 1e-6)
  }

  /// A tiny net learns where a bright dot is: the loss must fall well below its start.
  func testTinyNetworkLearnsSyntheticTask() {
    var architecture = tinyArchitecture
    architecture.outputCount = 30
    architecture.layers[architecture.layers.count - 1] = .linear(out: 30)
    let network = Network(architecture: architecture, seed: 7)
    var generator = SplitMix64(seed: 11)
    let batch = 16
    func sample() -> (Tensor, Tensor) {
      var x = [Float](repeating: 0, count: batch * 64)
      var y = [Float](repeating: 0, count: batch * 30)
      for n in 0..<batch {
        let px = Int(generator.next() % 6) + 1
        let py = Int(generator.next() % 6) + 1
        x[n * 64 + py * 8 + px] = 1
        for k in 0..<15 {
          y[n * 30 + 2 * k] = (Float(px) + 0.5 - 4) / 4
          y[n * 30 + 2 * k + 1] = (Float(py) + 0.5 - 4) / 4
        }
      }
      return (Tensor(shape: [batch, 1, 8, 8], data: x), Tensor(shape: [batch, 30], data: y))
    }
    let mask = Tensor(shape: [batch, 30], data: [Float](repeating: 1, count: batch * 30))
    let adam = Adam(parameters: network.parameters)
    var losses: [Float] = []
    for _ in 0..<80 {
      let (x, y) = sample()
      network.zeroGrad()
      let (loss, d) = Loss.maskedMSE(prediction: network.forward(x, training: true), target: y, mask: mask)
      network.backward(d)
      adam.step(learningRate: 0.01)
      losses.append(loss)
    }
    let start = losses.prefix(5).reduce(0, +) / 5
    let end = losses.suffix(5).reduce(0, +) / 5
    XCTAssertLessThan(end, 0.25 * start, "loss \(start) -> \(end)")
  }
}

import XCTest

@testable import KeyfaceNN

/// Finite-difference gradient checking for layers: the loss is sum(output * R) for a fixed random R, so the
/// analytic input gradient is backward(R).
enum GradientCheck {
  static func random(_ count: Int, seed: UInt64, range: Float = 1) -> [Float] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in generator.nextSymmetric(range) }
  }

  /// Compares analytic and numeric gradients of `sum(layer(input) * R)` for the input and every parameter.
  ///
  /// `beforeForward` runs before every forward (e.g. to reseed dropout so its mask is fixed).
  static func check(
    _ layer: Layer, inputShape: [Int], batch: Int, input: [Float]? = nil, training: Bool = true,
    epsilon: Float = 1e-2, tolerance: Double = 1e-2, beforeForward: () -> Void = {},
    file: StaticString = #filePath, line: UInt = #line
  ) {
    let outputShape = layer.prepare(inputShape: inputShape)
    let inCount = batch * inputShape.reduce(1, *)
    let outCount = batch * outputShape.reduce(1, *)
    var x = input ?? random(inCount, seed: 1)
    let r = random(outCount, seed: 2)
    var output = [Float](repeating: 0, count: outCount)

    func loss(_ x: [Float]) -> Double {
      beforeForward()
      x.withUnsafeBufferPointer { xp in
        output.withUnsafeMutableBufferPointer { op in
          layer.forward(input: xp.baseAddress!, output: op.baseAddress!, batch: batch, training: training)
        }
      }
      var sum = 0.0
      for i in 0..<outCount { sum += Double(output[i]) * Double(r[i]) }
      return sum
    }

    // Analytic.
    for parameter in layer.parameters { parameter.grad = Tensor(zeros: parameter.value.shape) }
    _ = loss(x)
    var dInput = [Float](repeating: .nan, count: inCount)
    x.withUnsafeBufferPointer { xp in
      output.withUnsafeBufferPointer { op in
        r.withUnsafeBufferPointer { rp in
          dInput.withUnsafeMutableBufferPointer { dp in
            layer.backward(
              input: xp.baseAddress!, output: op.baseAddress!, dOutput: rp.baseAddress!, dInput: dp.baseAddress!,
              batch: batch)
          }
        }
      }
    }

    func compare(_ analytic: Float, _ numeric: Double, _ what: String) {
      let difference = abs(Double(analytic) - numeric)
      let scale = max(1, abs(numeric), abs(Double(analytic)))
      XCTAssertLessThanOrEqual(
        difference / scale, tolerance, "\(what): analytic \(analytic) vs numeric \(numeric)", file: file, line: line)
    }

    // Numeric, input (at most 40 elements spread over the tensor).
    let inputStride = max(1, inCount / 40)
    for i in stride(from: 0, to: inCount, by: inputStride) {
      let saved = x[i]
      x[i] = saved + epsilon
      let plus = loss(x)
      x[i] = saved - epsilon
      let minus = loss(x)
      x[i] = saved
      compare(dInput[i], (plus - minus) / Double(2 * epsilon), "dInput[\(i)]")
    }
    // Numeric, parameters.
    for parameter in layer.parameters {
      let analytic = parameter.grad.data
      let count = parameter.value.count
      let step = max(1, count / 30)
      for i in stride(from: 0, to: count, by: step) {
        let saved = parameter.value.data[i]
        parameter.value.data[i] = saved + epsilon
        let plus = loss(x)
        parameter.value.data[i] = saved - epsilon
        let minus = loss(x)
        parameter.value.data[i] = saved
        compare(analytic[i], (plus - minus) / Double(2 * epsilon), "\(parameter.name)[\(i)]")
      }
    }
  }

  /// Fills a layer's parameters with small random values.
  static func randomize(_ layer: Layer, seed: UInt64) {
    for (k, parameter) in layer.parameters.enumerated() {
      parameter.value.data = random(parameter.value.count, seed: seed &+ UInt64(k), range: 0.5)
    }
  }

  /// Compares a whole network's parameter gradients (masked MSE against `target`) with central differences, at
  /// about `samples` evenly spread entries of each parameter.
  static func checkNetwork(
    _ network: Network, input x: Tensor, target: Tensor, mask: Tensor, samples: Int,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    func loss() -> Double {
      Double(Loss.maskedMSE(prediction: network.forward(x, training: true), target: target, mask: mask).loss)
    }
    network.zeroGrad()
    let (_, dPrediction) = Loss.maskedMSE(prediction: network.forward(x, training: true), target: target, mask: mask)
    network.backward(dPrediction)
    let epsilon: Float = 1e-3
    for parameter in network.parameters {
      let analytic = parameter.grad.data
      for i in stride(from: 0, to: parameter.value.count, by: max(1, parameter.value.count / samples)) {
        let saved = parameter.value.data[i]
        parameter.value.data[i] = saved + epsilon
        let plus = loss()
        parameter.value.data[i] = saved - epsilon
        let minus = loss()
        parameter.value.data[i] = saved
        let numeric = (plus - minus) / Double(2 * epsilon)
        XCTAssertEqual(
          Double(analytic[i]), numeric, accuracy: 2e-2 * max(abs(numeric), 0.05), "\(parameter.name)[\(i)]",
          file: file, line: line)
      }
    }
  }
}

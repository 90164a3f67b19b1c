/// Inverted dropout: in training each element is zeroed with probability `p` and the rest scaled by 1/(1-p);
/// identity in inference. Masks come from a seeded generator so training is reproducible.
///
/// Layout: any; the mask has the input's shape.
final class Dropout: Layer {
  let probability: Float  // p (0.2)
  fileprivate(set) var generator: SplitMix64
  private var size = 0  // elements per sample
  private let mask = Buffer()  // (N, size): 0 or 1/(1-p)

  init(probability: Float, seed: UInt64) {
    self.probability = probability
    generator = SplitMix64(seed: seed)
  }

  func prepare(inputShape: [Int]) -> [Int] {
    size = inputShape.reduce(1, *)
    return inputShape
  }

  // forward: y = x * mask
  func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
    let total = batch * size
    guard training && probability > 0 else {
      output.update(from: input, count: total)
      return
    }
    let m = mask.reserve(total)
    let keep = 1 / (1 - probability)
    for i in 0..<total {
      m[i] = generator.nextUnit() < probability ? 0 : keep
      output[i] = input[i] * m[i]
    }
  }

  // backward: dx = dy * mask
  func backward(
    input: UnsafePointer<Float>, output: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
    dInput: UnsafeMutablePointer<Float>?, batch: Int
  ) {
    guard let dInput else { return }
    let total = batch * size
    if probability > 0 {
      let m = mask.pointer
      for i in 0..<total { dInput[i] = dOutput[i] * m[i] }
    } else {
      dInput.update(from: dOutput, count: total)
    }
  }
}

extension Dropout {
  /// Restarts the mask sequence from `seed`.
  func reseed(_ seed: UInt64) { generator = SplitMix64(seed: seed) }
}

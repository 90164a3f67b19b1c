import XCTest

@testable import KeyfaceNN

final class LossTests: XCTestCase {
  private typealias LossFunction = (Tensor, Tensor, Tensor) -> (loss: Float, dPrediction: Tensor)

  private let prediction = Tensor(shape: [2, 4], data: [0.3, -0.5, 1.2, 0.05, -1.4, 0.7, 0.2, -0.25])
  private let target = Tensor(shape: [2, 4], data: [0.1, -0.2, 0.4, 0.5, -0.9, 0.7, 0.9, 0.3])
  private let mask = Tensor(shape: [2, 4], data: [1, 1, 0, 1, 1, 0, 1, 1])

  /// Central differences of the loss against the returned gradient, element by element.
  private func checkGradient(_ f: LossFunction, target: Tensor? = nil, file: StaticString = #filePath, line: UInt = #line) {
    let target = target ?? self.target
    let (_, gradient) = f(prediction, target, mask)
    let epsilon: Float = 1e-3
    for i in 0..<prediction.count {
      var plus = prediction
      plus.data[i] += epsilon
      var minus = prediction
      minus.data[i] -= epsilon
      let numeric = (Double(f(plus, target, mask).loss) - Double(f(minus, target, mask).loss)) / Double(2 * epsilon)
      XCTAssertEqual(Double(gradient.data[i]), numeric, accuracy: 1e-2 * max(1, abs(numeric)), "element \(i)", file: file, line: line)
      if mask.data[i] == 0 { XCTAssertEqual(gradient.data[i], 0, file: file, line: line) }
    }
  }

  func testMaskedMSE() {
    let (loss, _) = Loss.maskedMSE(prediction: prediction, target: target, mask: mask)
    // Present differences: 0.2, -0.3, -0.45, -0.5, -0.7, -0.55.
    let expected: Float = (0.04 + 0.09 + 0.2025 + 0.25 + 0.49 + 0.3025) / 6
    XCTAssertEqual(loss, expected, accuracy: 1e-5)
    checkGradient { Loss.maskedMSE(prediction: $0, target: $1, mask: $2) }
  }

  func testMaskedL1() {
    let (loss, _) = Loss.maskedL1(prediction: prediction, target: target, mask: mask)
    XCTAssertEqual(loss, (0.2 + 0.3 + 0.45 + 0.5 + 0.7 + 0.55) / 6, accuracy: 1e-5)
    checkGradient { Loss.maskedL1(prediction: $0, target: $1, mask: $2) }
  }

  func testMaskedWing() {
    // w = 0.4 puts some differences in the log part and some in the linear part.
    checkGradient { Loss.maskedWing(prediction: $0, target: $1, mask: $2, w: 0.4, epsilon: 0.1) }
    let (small, _) = Loss.maskedWing(
      prediction: Tensor(shape: [1, 1], data: [0.2]), target: Tensor(zeros: [1, 1]), mask: Tensor(shape: [1, 1], data: [1]),
      w: 0.5, epsilon: 0.1)
    XCTAssertEqual(small, 0.5 * log(1 + 0.2 / 0.1), accuracy: 1e-5)
    // Continuous at |d| = w.
    func wing(_ d: Float) -> Float {
      Loss.maskedWing(
        prediction: Tensor(shape: [1, 1], data: [d]), target: Tensor(zeros: [1, 1]), mask: Tensor(shape: [1, 1], data: [1]),
        w: 0.5, epsilon: 0.1
      ).loss
    }
    XCTAssertEqual(wing(0.4999), wing(0.5001), accuracy: 1e-3)
  }

  func testMaskedBinaryCrossEntropyWithLogits() {
    let labels = Tensor(shape: [2, 4], data: [1, 0, 1, 0, 1, 1, 0, 0])
    checkGradient({ Loss.maskedBinaryCrossEntropyWithLogits(prediction: $0, target: $1, mask: $2) }, target: labels)
    let (loss, _) = Loss.maskedBinaryCrossEntropyWithLogits(
      prediction: Tensor(shape: [1, 2], data: [0, 40]), target: Tensor(shape: [1, 2], data: [1, 1]),
      mask: Tensor(shape: [1, 2], data: [1, 1]))
    XCTAssertEqual(loss, log(2) / 2, accuracy: 1e-5)  // large logits stay finite
  }

  func testNothingPresentGivesZero() {
    let (loss, gradient) = Loss.maskedMSE(prediction: prediction, target: target, mask: Tensor(zeros: [2, 4]))
    XCTAssertEqual(loss, 0)
    XCTAssertEqual(gradient.data, [Float](repeating: 0, count: 8))
  }

  func testSchedules() {
    XCTAssertEqual(LearningRateSchedule.constant(0.001).rate(at: 500), 0.001)
    let cosine = LearningRateSchedule.warmupCosine(peak: 1, warmupSteps: 10, totalSteps: 110, floor: 0.1)
    XCTAssertEqual(cosine.rate(at: 0), 0.1, accuracy: 1e-6)
    XCTAssertEqual(cosine.rate(at: 9), 1, accuracy: 1e-6)
    XCTAssertEqual(cosine.rate(at: 60), 0.55, accuracy: 1e-5)
    XCTAssertEqual(cosine.rate(at: 110), 0.1, accuracy: 1e-6)
    XCTAssertEqual(cosine.rate(at: 500), 0.1, accuracy: 1e-6)
    let step = LearningRateSchedule.step(initial: 1, every: 10, factor: 0.5)
    XCTAssertEqual(step.rate(at: 9), 1)
    XCTAssertEqual(step.rate(at: 25), 0.25)
  }
}

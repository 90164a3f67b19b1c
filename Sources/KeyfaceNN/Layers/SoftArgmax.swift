import Foundation

/// Where each channel's map peaks, differentiably (integral regression, as in Sun et al. 2018 and Nibali et al.'s
/// DSNT): a softmax over each channel's plane, then the expected position under it, one (x, y) per channel in
/// -1...1 across the plane (pixel centres at (j + 0.5) / W * 2 - 1). A refinement network ends with one such map per
/// keypoint, so each keypoint's answer is read where its own map points, a far easier thing to learn than
/// coordinates from a dense layer.
///
/// Layout: input (N, C, H, W) logits, output (N, 2C) as x0, y0, x1, y1, ...
final class SoftArgmax: Layer {
  private var channels = 0, height = 0, width = 0
  // The softmax of the last training forward, (N, C, H, W), for backward.
  private var probabilities: [Float] = []

  init() {}

  func prepare(inputShape: [Int]) -> [Int] {
    channels = inputShape[0]
    height = inputShape[1]
    width = inputShape[2]
    return [2 * channels]
  }

  func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
    let plane = height * width
    if training && probabilities.count < batch * channels * plane {
      probabilities = [Float](repeating: 0, count: batch * channels * plane)
    }
    var scratch = [Float](repeating: 0, count: plane)
    probabilities.withUnsafeMutableBufferPointer { kept in
      scratch.withUnsafeMutableBufferPointer { temporary in
        for i in 0..<batch * channels {
          let p = training ? kept.baseAddress! + i * plane : temporary.baseAddress!
          let xy = softArgmax(input + i * plane, into: p, height: height, width: width)
          output[2 * i] = xy.x
          output[2 * i + 1] = xy.y
        }
      }
    }
  }

  // backward: with p = softmax(z), x = Σ p gx: dx/dz_k = p_k (gx_k - x); the same for y.
  func backward(
    input: UnsafePointer<Float>, output: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
    dInput: UnsafeMutablePointer<Float>?, batch: Int
  ) {
    guard let dInput else { return }
    let plane = height * width
    probabilities.withUnsafeBufferPointer { kept in
      for i in 0..<batch * channels {
        let p = kept.baseAddress! + i * plane
        let x = output[2 * i], y = output[2 * i + 1]
        let dx = dOutput[2 * i], dy = dOutput[2 * i + 1]
        let d = dInput + i * plane
        for row in 0..<height {
          let gy = softArgmaxGrid(row, height)
          for column in 0..<width {
            let k = row * width + column
            d[k] = p[k] * ((softArgmaxGrid(column, width) - x) * dx + (gy - y) * dy)
          }
        }
      }
    }
  }
}

/// The position of pixel `index` of `count` across a soft-argmax plane: -1...1 at the pixel centres' scale.
@inline(__always) func softArgmaxGrid(_ index: Int, _ count: Int) -> Float {
  (Float(index) + 0.5) / Float(count) * 2 - 1
}

/// Softmax of one `height` x `width` plane of logits into `probabilities`, and the expected (x, y) under it.
@inline(__always) func softArgmax(
  _ logits: UnsafePointer<Float>, into probabilities: UnsafeMutablePointer<Float>, height: Int, width: Int
) -> SIMD2<Float> {
  let plane = height * width
  var peak = -Float.infinity
  for k in 0..<plane { peak = max(peak, logits[k]) }
  var total: Float = 0
  for k in 0..<plane {
    let e = expf(logits[k] - peak)
    probabilities[k] = e
    total += e
  }
  let inverse = 1 / total
  var x: Float = 0, y: Float = 0
  for row in 0..<height {
    let gy = softArgmaxGrid(row, height)
    var rowSum: Float = 0
    for column in 0..<width {
      let k = row * width + column
      let p = probabilities[k] * inverse
      probabilities[k] = p
      rowSum += p
      x += p * softArgmaxGrid(column, width)
    }
    y += rowSum * gy
  }
  return SIMD2(x, y)
}

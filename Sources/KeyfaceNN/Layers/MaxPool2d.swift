/// Non-overlapping max pooling (window = stride = `size`), floor mode like Keras's 'valid'.
///
/// Layout: input (N, C, H, W), output (N, C, H/size, W/size); training keeps each maximum's index for backward.
final class MaxPool2d: Layer {
  let size: Int  // 2
  private var channels = 0, height = 0, width = 0, outputHeight = 0, outputWidth = 0
  private let argmax = IndexBuffer()  // (N, C, OH, OW) index into the input plane

  init(size: Int) { self.size = size }

  func prepare(inputShape: [Int]) -> [Int] {
    channels = inputShape[0]
    height = inputShape[1]
    width = inputShape[2]
    outputHeight = height / size
    outputWidth = width / size
    return [channels, outputHeight, outputWidth]
  }

  // forward: y[n, c, oy, ox] = max over the size x size window; ties keep the first (row-major) position
  func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
    let size = size, width = width, oh = outputHeight, ow = outputWidth
    let inPlane = height * width
    let outPlane = oh * ow
    let indices = argmax.reserve(batch * channels * outPlane)
    parallelRanges(batch * channels, costPerItem: inPlane) { range in
      for plane in range {
        let x = input + plane * inPlane
        let y = output + plane * outPlane
        let idx = indices + plane * outPlane
        if size == 2 && !training {
          for oy in 0..<oh {
            let r0 = x + 2 * oy * width
            let r1 = r0 + width
            for ox in 0..<ow {
              y[oy * ow + ox] = max(max(r0[2 * ox], r0[2 * ox + 1]), max(r1[2 * ox], r1[2 * ox + 1]))
            }
          }
          continue
        }
        if size == 2 {
          for oy in 0..<oh {
            let r0 = 2 * oy * width
            for ox in 0..<ow {
              let i0 = r0 + 2 * ox
              var best = x[i0]
              var bestIndex = i0
              if x[i0 + 1] > best { best = x[i0 + 1]; bestIndex = i0 + 1 }
              if x[i0 + width] > best { best = x[i0 + width]; bestIndex = i0 + width }
              if x[i0 + width + 1] > best { best = x[i0 + width + 1]; bestIndex = i0 + width + 1 }
              y[oy * ow + ox] = best
              idx[oy * ow + ox] = Int32(bestIndex)
            }
          }
          continue
        }
        for oy in 0..<oh {
          for ox in 0..<ow {
            var best = -Float.infinity
            var bestIndex = (oy * size) * width + ox * size
            for dy in 0..<size {
              let row = (oy * size + dy) * width + ox * size
              for dx in 0..<size where x[row + dx] > best {
                best = x[row + dx]
                bestIndex = row + dx
              }
            }
            y[oy * ow + ox] = best
            idx[oy * ow + ox] = Int32(bestIndex)
          }
        }
      }
    }
  }

  // backward: dx[argmax] += dy, zero elsewhere
  func backward(
    input: UnsafePointer<Float>, output: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
    dInput: UnsafeMutablePointer<Float>?, batch: Int
  ) {
    guard let dInput else { return }
    let inPlane = height * width
    let outPlane = outputHeight * outputWidth
    let indices = argmax.pointer
    parallelRanges(batch * channels, costPerItem: inPlane) { range in
      for plane in range {
        let dx = dInput + plane * inPlane
        dx.update(repeating: 0, count: inPlane)
        let dy = dOutput + plane * outPlane
        let idx = indices + plane * outPlane
        for o in 0..<outPlane { dx[Int(idx[o])] += dy[o] }
      }
    }
  }
}

/// Max pooling over the (C*N) planes; a deferred ReLU is applied to the maxima (max and ReLU commute).
final class MaxPoolStep: InferenceStep {
  let size: Int
  let outputShape: [Int]
  var reluInput = false
  private let height: Int, width: Int

  init(inputShape: [Int], size: Int) {
    self.size = size
    height = inputShape[1]
    width = inputShape[2]
    outputShape = [inputShape[0], height / size, width / size]
  }

  func reserve(maxBatch: Int, threads: Int) {}

  func run(input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int) {
    let size = size, width = width
    let oh = outputShape[1], ow = outputShape[2]
    let inPlane = height * width
    let outPlane = oh * ow
    let floor: Float = reluInput ? 0 : -.infinity
    parallelRanges(outputShape[0] * batch, costPerItem: inPlane) { planes in
      for plane in planes {
        let x = input + plane * inPlane
        let y = output + plane * outPlane
        if size == 2 {
          for oy in 0..<oh {
            MaxPoolStep.pool2(x + 2 * oy * width, x + (2 * oy + 1) * width, y + oy * ow, ow, floor: floor)
          }
          continue
        }
        for oy in 0..<oh {
          for ox in 0..<ow {
            var best = floor
            for dy in 0..<size {
              let row = x + (oy * size + dy) * width + ox * size
              for dx in 0..<size { best = max(best, row[dx]) }
            }
            y[oy * ow + ox] = best
          }
        }
      }
    }
  }

  /// y[i] = max(floor, r0[2i], r0[2i+1], r1[2i], r1[2i+1]) for i in 0..<count.
  @inline(__always)
  static func pool2(
    _ r0: UnsafePointer<Float>, _ r1: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int,
    floor: Float
  ) {
    let f = SIMD4<Float>(repeating: floor)
    let a = UnsafeRawPointer(r0), b = UnsafeRawPointer(r1)
    let out = UnsafeMutableRawPointer(y)
    var i = 0
    while i + 4 <= count {
      let u = a.loadUnaligned(fromByteOffset: 8 * i, as: SIMD8<Float>.self)
      let v = b.loadUnaligned(fromByteOffset: 8 * i, as: SIMD8<Float>.self)
      var m = u.evenHalf.replacing(with: u.oddHalf, where: u.oddHalf .> u.evenHalf)
      m.replace(with: v.evenHalf, where: v.evenHalf .> m)
      m.replace(with: v.oddHalf, where: v.oddHalf .> m)
      m.replace(with: f, where: f .> m)
      out.storeBytes(of: m, toByteOffset: 4 * i, as: SIMD4<Float>.self)
      i += 4
    }
    while i < count {
      y[i] = max(floor, max(max(r0[2 * i], r0[2 * i + 1]), max(r1[2 * i], r1[2 * i + 1])))
      i += 1
    }
  }
}

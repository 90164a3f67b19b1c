// Plain-loop convolution and linear layers: slow and obviously right, the test oracles for the im2col + SGEMM
// kernels in Conv2d and Linear.

/// Reference kernels over flat NCHW arrays.
enum ReferenceKernels {
  /// Direct convolution. input (N, C, H, W), weight (OC, C, K, K), bias (OC) -> (N, OC, OH, OW).
  static func conv2d(
    input: [Float], batch: Int, channels: Int, height: Int, width: Int,
    weight: [Float], bias: [Float], outputChannels: Int, kernel: Int, stride: Int, padding: Int
  ) -> [Float] {
    let oh = (height + 2 * padding - kernel) / stride + 1
    let ow = (width + 2 * padding - kernel) / stride + 1
    var output = [Float](repeating: 0, count: batch * outputChannels * oh * ow)
    for n in 0..<batch {
      for o in 0..<outputChannels {
        for oy in 0..<oh {
          for ox in 0..<ow {
            var sum = Double(bias[o])
            for c in 0..<channels {
              for ky in 0..<kernel {
                for kx in 0..<kernel {
                  let iy = oy * stride - padding + ky
                  let ix = ox * stride - padding + kx
                  guard iy >= 0, iy < height, ix >= 0, ix < width else { continue }
                  sum += Double(input[((n * channels + c) * height + iy) * width + ix])
                    * Double(weight[((o * channels + c) * kernel + ky) * kernel + kx])
                }
              }
            }
            output[((n * outputChannels + o) * oh + oy) * ow + ox] = Float(sum)
          }
        }
      }
    }
    return output
  }

  /// Direct matrix product. input (N, IN), weight (OUT, IN), bias (OUT) -> (N, OUT).
  static func linear(input: [Float], batch: Int, inputFeatures: Int, weight: [Float], bias: [Float]) -> [Float] {
    let out = bias.count
    var output = [Float](repeating: 0, count: batch * out)
    for n in 0..<batch {
      for o in 0..<out {
        var sum = Double(bias[o])
        for i in 0..<inputFeatures { sum += Double(input[n * inputFeatures + i]) * Double(weight[o * inputFeatures + i]) }
        output[n * out + o] = Float(sum)
      }
    }
    return output
  }
}

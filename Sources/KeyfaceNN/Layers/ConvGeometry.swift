/// Geometry of one convolution: input (C, H, W) -> output (OC, OH, OW) per sample.
struct ConvGeometry {
  var channels: Int  // C (32)
  var height: Int  // H (47)
  var width: Int  // W (47)
  var kernel: Int  // K (3)
  var stride: Int  // 1
  var padding: Int  // 0
  var outputHeight: Int  // OH (45)
  var outputWidth: Int  // OW (45)

  var inputPlane: Int { height * width }
  var outputPlane: Int { outputHeight * outputWidth }
  var rows: Int { channels * kernel * kernel }  // C*K*K
}

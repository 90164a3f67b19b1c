import CFFmpeg

extension Frame {
  /// Allocates a yuv420p frame holding a copy of `image`.
  convenience init(copying image: YUVImage) throws {
    try self.init()
    pointer.pointee.width = Int32(image.width)
    pointer.pointee.height = Int32(image.height)
    pointer.pointee.format = AV_PIX_FMT_YUV420P.rawValue
    pointer.pointee.color_range = AVCOL_RANGE_MPEG
    try check(av_frame_get_buffer(pointer, 0), "cannot allocate a frame")
    copy(image)
  }

  /// Copies `image` into this writable yuv420p frame, row by row into its strides; a frame smaller than the
  /// image (an odd size rounded down to even for the encoder) gets its top-left part.
  func copy(_ image: YUVImage) {
    let width = min(self.width, image.width)
    let height = min(self.height, image.height)
    let planes = [
      (image.y, image.width, width, height),
      (image.u, image.chromaWidth, (width + 1) / 2, (height + 1) / 2),
      (image.v, image.chromaWidth, (width + 1) / 2, (height + 1) / 2),
    ]
    for (i, (pixels, sourceStride, planeWidth, planeHeight)) in planes.enumerated() {
      let (target, stride) = plane(i)
      pixels.withUnsafeBufferPointer { source in
        for row in 0..<planeHeight {
          (target + row * stride).update(
            from: source.baseAddress! + row * sourceStride, count: planeWidth)
        }
      }
    }
  }
}

import KeyfaceNN

/// One training example: a face with keypoints, or a non-face crop that only teaches the face score.
enum TrainingSample: Equatable {
  case face(Int)
  case negative(Int)
}

/// Assembles network inputs and targets for batches of faces, applying augmentation and normalisation.
enum BatchBuilder {
  /// Network inputs for `rows` of `data` without augmentation. // (B, 1, 96, 96)
  static func input(_ data: KaggleDataset, rows: [Int], architecture: Architecture) -> Tensor {
    let n = KaggleDataset.pixelCount
    var input = Tensor(zeros: [rows.count, 1, KaggleDataset.side, KaggleDataset.side])
    data.pixels.withUnsafeBufferPointer { pixels in
      input.data.withUnsafeMutableBufferPointer { out in
        for (b, row) in rows.enumerated() {
          Augmentation.identity.warp(
            pixels.baseAddress! + row * n, into: out.baseAddress! + b * n, gain: architecture.inputScale,
            offset: architecture.inputOffset)
        }
      }
    }
    return input
  }

  /// The batch mirrored left-right (each row of each image reversed).
  static func mirrored(_ input: Tensor) -> Tensor {
    var out = input
    let width = input.shape[input.shape.count - 1]
    let rows = input.data.count / width
    input.data.withUnsafeBufferPointer { src in
      out.data.withUnsafeMutableBufferPointer { dst in
        for r in 0..<rows {
          for x in 0..<width { dst[r * width + x] = src[r * width + width - 1 - x] }
        }
      }
    }
    return out
  }

  /// A training batch: inputs, normalised keypoint targets and their mask, and face-score targets and mask.
  struct Batch {
    var input: Tensor  // (B, 1, 96, 96)
    var target: Tensor  // (B, 30) normalised as (px - targetCenter) / targetScale
    var mask: Tensor  // (B, 30)
    var scoreTarget: Tensor  // (B, 1): 1 face, 0 non-face
    var scoreMask: Tensor  // (B, 1)
    var auxiliaryTarget: Tensor  // (B, 2P) auxiliary points, normalised as the keypoints; P = 0 without them
    var auxiliaryMask: Tensor  // (B, 2P); 0 for non-faces
  }

  /// Builds a batch; each sample is augmented with its own generator seeded from (seed, epoch, position).
  static func batch(
    _ samples: ArraySlice<TrainingSample>, faces: KaggleDataset, negatives: KaggleDataset?,
    architecture: Architecture, augmentation: AugmentationOptions?, trainScore: Bool, seed: UInt64, epoch: Int,
    frames: FaceFrames? = nil, auxiliary: AuxiliaryLandmarks? = nil
  ) -> Batch {
    let count = samples.count
    let n = KaggleDataset.pixelCount
    let k = KaggleDataset.coordinateCount
    let a = 2 * (auxiliary?.pointCount ?? 0)
    var batch = Batch(
      input: Tensor(zeros: [count, 1, KaggleDataset.side, KaggleDataset.side]), target: Tensor(zeros: [count, k]),
      mask: Tensor(zeros: [count, k]), scoreTarget: Tensor(zeros: [count, 1]), scoreMask: Tensor(zeros: [count, 1]),
      auxiliaryTarget: Tensor(zeros: [count, a]), auxiliaryMask: Tensor(zeros: [count, a]))
    var xy = [Float](repeating: 0, count: k)
    var present = [Float](repeating: 0, count: k)
    var auxiliaryXY = [Float](repeating: 0, count: a)
    var auxiliaryPresent = [Float](repeating: 0, count: a)
    for (b, sample) in zip(samples.indices, samples).map({ ($0 - samples.startIndex, $1) }) {
      let source: KaggleDataset
      let row: Int
      switch sample {
      case .face(let r):
        (source, row) = (faces, r)
        batch.scoreTarget.data[b] = 1
      case .negative(let r):
        (source, row) = (negatives!, r)
        batch.scoreTarget.data[b] = 0
      }
      batch.scoreMask.data[b] = trainScore ? 1 : 0
      var random = SeededRandom(mixing: seed, UInt64(epoch), UInt64(samples.startIndex + b))
      let augment = augmentation.map { Augmentation.random($0, using: &random) } ?? .identity
      for j in 0..<k {
        xy[j] = source.coordinates[row * k + j]
        present[j] = source.mask[row * k + j]
      }
      if let frames, case .face = sample {
        // Drawn from the full frame (see FaceFrames).
        let placement = frames.placements[row]
        batch.input.data.withUnsafeMutableBufferPointer { out in
          augment.warp(
            frame: frames.frames[placement.frame], placement: placement, into: out.baseAddress! + b * n,
            gain: architecture.inputScale, offset: architecture.inputOffset)
        }
      } else {
        source.pixels.withUnsafeBufferPointer { pixels in
          batch.input.data.withUnsafeMutableBufferPointer { out in
            augment.warp(
              pixels.baseAddress! + row * n, into: out.baseAddress! + b * n, gain: architecture.inputScale,
              offset: architecture.inputOffset)
          }
        }
      }
      xy.withUnsafeMutableBufferPointer { p in
        present.withUnsafeMutableBufferPointer { augment.moveKeypoints(p.baseAddress!, mask: $0.baseAddress!) }
      }
      for j in 0..<k {
        batch.target.data[b * k + j] = present[j] > 0 ? (xy[j] - architecture.targetCenter) / architecture.targetScale : 0
        batch.mask.data[b * k + j] = present[j]
      }
      if let auxiliary, case .face(let row) = sample {
        for j in 0..<a {
          auxiliaryXY[j] = auxiliary.coordinates[row * a + j]
          auxiliaryPresent[j] = 1
        }
        auxiliaryXY.withUnsafeMutableBufferPointer { p in
          auxiliaryPresent.withUnsafeMutableBufferPointer {
            augment.movePoints(
              p.baseAddress!, mask: $0.baseAddress!, count: auxiliary.pointCount, flipPairs: auxiliary.flipPairs)
          }
        }
        for j in 0..<a {
          batch.auxiliaryTarget.data[b * a + j] =
            auxiliaryPresent[j] > 0 ? (auxiliaryXY[j] - architecture.targetCenter) / architecture.targetScale : 0
          batch.auxiliaryMask.data[b * a + j] = auxiliaryPresent[j]
        }
      }
    }
    return batch
  }
}

// `keyface train --frames` and `--landmarks`: reads a 68-point landmark table (faces68's landmarks68.csv: image,
// source, identity, x0, y0, ... x67, y67 per face) and decodes its images, so training can draw its crops from the
// full frames, or moves its 68 points into the crops as auxiliary training targets.
import Dispatch
import Foundation
import KeyfaceMedia
import KeyfaceTraining

enum LandmarkFrames {
  /// The 68-point indices averaged for each of the 15 keypoints, in Kaggle's order (see ../shared/data/README.md).
  static let keypointSources: [[Int]] = [
    Array(42...47), Array(36...41), [42], [45], [39], [36], [22], [26], [21], [17], [30], [54], [48], [51], [57],
  ]

  /// The frames of `faces`, whose rows are those of `path` in the same order; images are read from the
  /// `images/` folder beside `path`.
  /// - Throws: `TrainingError` naming the file and line, or the image, that cannot be used.
  static func load(path: String, faces: KaggleDataset) throws -> FaceFrames {
    let table = try Table(path: path, expectedCount: faces.count)
    let frames = try decode(table.imagePaths(beside: path))
    return try FaceFrames(frames: frames, frameOfRow: table.frameOfRow, framePoints: table.keypoints, faces: faces)
  }

  /// Every face of the table at `path` with its 15 keypoints in its frame, and the decoded frames, for training
  /// the refinement network (`keyface train --arch keyface-patches`).
  /// - Throws: `TrainingError` naming the file and line, or the image, that cannot be used.
  static func loadFaces(path: String) throws -> (frames: [FaceFrames.Frame], faces: [PatchTrainingFace]) {
    let table = try Table(path: path, expectedCount: nil)
    let frames = try decode(table.imagePaths(beside: path))
    let faces = zip(table.frameOfRow, table.keypoints).map { PatchTrainingFace(frame: $0, points: $1) }
    return (frames, faces)
  }

  /// The 68 landmarks of each face of `faces` (rows aligned with `path`'s) in its crop, as auxiliary training
  /// points; the images are not needed.
  /// - Throws: `TrainingError` naming the file and line that cannot be used.
  static func auxiliary(path: String, faces: KaggleDataset) throws -> AuxiliaryLandmarks {
    let table = try Table(path: path, expectedCount: faces.count)
    let placements = try FaceFrames.placements(framePoints: table.keypoints, faces: faces)
    return AuxiliaryLandmarks.ibug68(framePoints68: table.points, placements: placements)
  }

  /// The rows of a 68-point landmark table.
  private struct Table {
    /// Each distinct image once, in order of first use.
    var imageNames: [String] = []
    /// Per row: its image's index in `imageNames`.
    var frameOfRow: [Int] = []
    /// Per row: the 68 points in frame pixels.
    var points: [[SIMD2<Float>]] = []

    /// Per row: the 15 keypoints made from the 68 (Kaggle's order).
    var keypoints: [[SIMD2<Float>]] {
      points.map { p in keypointSources.map { $0.reduce(SIMD2<Float>.zero) { $0 + p[$1] } / Float($0.count) } }
    }

    /// The images' paths: in the `images/` folder beside the table at `path`.
    func imagePaths(beside path: String) -> [String] {
      let folder = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("images")
      return imageNames.map { folder.appendingPathComponent($0).path }
    }

    /// Reads the table; `expectedCount`, when given, is the number of rows it must have (those of the training data).
    init(path: String, expectedCount: Int?) throws {
      let text: String
      do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
        throw TrainingError("\(path): cannot be read")
      }
      var lines = text.split(whereSeparator: \.isNewline).map(String.init)
      guard !lines.isEmpty else { throw TrainingError("\(path): empty") }
      let header = lines.removeFirst().split(separator: ",").map(String.init)
      guard let imageColumn = header.firstIndex(of: "image"), let x0 = header.firstIndex(of: "x0"),
        header.count >= x0 + 136
      else { throw TrainingError("\(path): needs an 'image' column and x0, y0 ... x67, y67") }
      if let expectedCount, lines.count != expectedCount {
        throw TrainingError("\(path): \(lines.count) faces, but the training data has \(expectedCount); rows must align")
      }
      var imageIndex: [String: Int] = [:]
      for (number, line) in lines.enumerated() {
        let cells = line.split(separator: ",", omittingEmptySubsequences: false)
        let values = cells.count >= x0 + 136 ? cells[x0..<(x0 + 136)].compactMap { Float($0) } : []
        guard values.count == 136, values.allSatisfy(\.isFinite), imageColumn < cells.count else {
          throw TrainingError("\(path): line \(number + 2): expected 68 x, y pairs")
        }
        let name = String(cells[imageColumn])
        if imageIndex[name] == nil {
          imageIndex[name] = imageNames.count
          imageNames.append(name)
        }
        frameOfRow.append(imageIndex[name]!)
        points.append((0..<68).map { SIMD2(values[2 * $0], values[2 * $0 + 1]) })
      }
    }
  }

  /// Decodes still images to grey, two at a time.
  private static func decode(_ paths: [String]) throws -> [FaceFrames.Frame] {
    final class Slots: @unchecked Sendable {
      var frames: [FaceFrames.Frame?]
      var failure: String?
      let lock = NSLock()
      init(_ count: Int) { frames = Array(repeating: nil, count: count) }
    }
    let slots = Slots(paths.count)
    DispatchQueue.concurrentPerform(iterations: paths.count) { i in
      let result: Result<FaceFrames.Frame, Error> = Result {
        let reader = try VideoReader(path: paths[i], threads: 1)
        guard let frame = try reader.nextFrame() else { throw TrainingError("\(paths[i]): no picture") }
        return FaceFrames.Frame(width: frame.gray.width, height: frame.gray.height, pixels: frame.gray.pixels)
      }
      slots.lock.lock()
      switch result {
      case .success(let frame): slots.frames[i] = frame
      case .failure(let error): slots.failure = slots.failure ?? "\(error)"
      }
      slots.lock.unlock()
    }
    if let failure = slots.failure { throw TrainingError(failure) }
    return slots.frames.map { $0! }
  }
}

// Finds and follows faces through the frames of one source, as MediaPipe's face mesh does: a face found in
// one frame is cropped in the next from its previous keypoints, moved by its recent motion (`MotionPrediction`),
// without running the detector. The detector runs on the first frame, every `detectEvery` frames, and on a
// frame where a face was lost. New detections that overlap a tracked face are ignored; the others go through
// the network on the detector's box, then on crops re-framed from their own keypoints, and become tracks when
// the network's score says "face".
// A face large enough to hold more detail than the 96-px crop then goes through the refinement stage
// (`PatchRefiner`: patches around each keypoint at up to the face's own resolution), whose points the track keeps.
// A track whose score falls below `minTrackScore` is dropped, so scene cuts leave no ghost faces.
// The periodic detection can run on another thread (`backgroundDetection`): its boxes are used a fixed number
// of frames later, so the output never depends on timing; the first frame and a frame where a face was lost
// are searched at once.
//
// Not thread-safe: one tracker per source, fed frames in order from one thread.
import Dispatch
import KeyfaceDetection
import KeyfaceMedia
import KeyfaceNN

/// Keypoints of every face in successive frames of one source.
public final class FaceTracker {
  /// The options in force.
  public let options: TrackerOptions
  /// How many times the detector has run (for tests and statistics).
  public private(set) var detectorRuns = 0
  /// How many crops went through the network.
  public private(set) var networkCrops = 0
  /// How many faces went through the refinement stage.
  public private(set) var refinedFaces = 0

  private let estimator: KeypointEstimating
  private let refiner: KeypointEstimating
  private let patchRefiner: PatchRefiner?
  private let finder: FaceFinding?
  private let aligner: FaceAligner
  private let layout: [SIMD2<Float>]
  // The face box relative to the crop, in crop units: (left, top, right, bottom).
  private let boxInCrop: SIMD4<Float>
  private var tracks: [Track] = []
  private var nextID = 0
  private var framesSinceDetection = Int.max / 2
  private var frameIndex = -1
  private var pending: PendingDetection?
  // A private (overcommitting) queue, so the detection starts at once even when the global pool's threads are
  // all held by pipeline stages waiting on each other.
  private let detectionQueue = DispatchQueue(label: "keyface.detect", qos: .userInitiated)
  // Batch buffers, grown on demand and reused.
  private var crops: [UInt8] = []
  private var points: [SIMD2<Float>] = []
  private var scores: [Float] = []

  /// Creates a tracker.
  ///
  /// - Parameters:
  ///   - estimator: the keypoint network (or a stand-in).
  ///   - refiner: the network for the last of a new face's `detectionPasses` (nil: `estimator`), on a crop
  ///     re-framed from the previous pass's keypoints: for example an ensemble with a network trained on crops
  ///     framed exactly as Kaggle's, while `estimator` copes with a detector's boxes.
  ///   - patchRefiner: the refinement stage for large faces, after the last pass (nil: none).
  ///   - finder: the face detector; nil only with `options.fullFrame`.
  ///   - options: detection, tracking and smoothing settings.
  public init(
    estimator: KeypointEstimating, refiner: KeypointEstimating? = nil, patchRefiner: PatchRefiner? = nil,
    finder: FaceFinding?, options: TrackerOptions
  ) {
    precondition(finder != nil || options.fullFrame, "FaceTracker needs a detector unless fullFrame is set")
    precondition(refiner == nil || refiner!.inputSize == estimator.inputSize, "FaceTracker: refiner input size")
    self.estimator = estimator
    self.refiner = refiner ?? estimator
    self.patchRefiner = patchRefiner
    self.finder = finder
    self.options = options
    let n = estimator.inputSize
    aligner = FaceAligner(cropSize: n)
    let unit = Float(n) / 96
    layout = KaggleLayout.meanPoints.map { $0 * unit }
    boxInCrop = FaceTracker.faceBoxInCrop(cropSize: n)
  }

  /// Waits for a detection still running in the background (call at the end of a source).
  public func finish() {
    pending?.done.wait()
    pending = nil
  }

  /// Forgets every face (a new source starts); ids count from 0 again.
  public func reset() {
    pending?.done.wait()
    pending = nil
    frameIndex = -1
    tracks = []
    nextID = 0
    framesSinceDetection = Int.max / 2
  }

  /// The faces in `image`, the next frame of the source, shown at `time` seconds; sorted by id.
  public func process(_ image: GrayImage, time: Double) -> [FaceResult] {
    if options.fullFrame { return processFullFrame(image, time: time) }
    var lost = false
    // 1. Follow the faces of the previous frame from their keypoints.
    if !tracks.isEmpty {
      let before = tracks.map(\.points)
      var transforms = tracks.map { track in
        reframe(options.motionPrediction ? track.motion.predict(track.points, at: time) : track.points)
          ?? track.transform
      }
      let passes = max(1, options.trackingPasses)
      for pass in 0..<passes {
        if pass > 0 { transforms = (0..<tracks.count).map { reframe(tracks[$0].points) ?? transforms[$0] } }
        // With several passes the last one is the refiner's, on a crop framed from this frame's keypoints.
        let result = predict(image, transforms, with: passes > 1 && pass == passes - 1 ? refiner : estimator)
        for i in tracks.indices {
          tracks[i].points = result.points[i]
          tracks[i].score = result.scores[i]
          tracks[i].transform = transforms[i]
        }
      }
      let refined = refineDetail(image, tracks.map(\.points))
      for i in tracks.indices { tracks[i].points = refined[i] }
      for i in tracks.indices { tracks[i].motion.update(from: before[i], to: tracks[i].points, at: time) }
      let countBefore = tracks.count
      let limits = FaceTracker.plausibleBoxes(width: image.width, height: image.height)
      tracks.removeAll { track in
        !(track.score >= options.minTrackScore) || !limits(box(of: track.points))
      }
      lost = tracks.count < countBefore
      removeDuplicateTracks()
    }
    // 2. Look for new faces: first those found in the background in an earlier frame, then this frame's.
    frameIndex += 1
    if let p = pending, p.applyAt <= frameIndex { applyPending(image, time: time) }
    framesSinceDetection += 1
    // While no face is tracked the detector looks four times as often: a face entering an empty scene should
    // not wait a second to be found, and such frames cost nothing else.
    let interval = tracks.isEmpty ? max(1, options.detectEvery / 4) : max(1, options.detectEvery)
    if let finder, lost || framesSinceDetection >= interval {
      framesSinceDetection = 0
      detectorRuns += 1
      // The first frame, a frame that lost a face and any look while no face is tracked happen at once (a face
      // seen late is worse than a slow frame, and such frames cost little else); periodic looks beside tracked
      // faces run in the background, their boxes used some frames later.
      if options.backgroundDetection && frameIndex > 0 && !lost && pending == nil && !tracks.isEmpty {
        let p = PendingDetection(applyAt: frameIndex + max(1, options.detectEvery / 2))
        pending = p
        detectionQueue.async {
          p.boxes = finder.detectQuickly(in: image)
          p.done.signal()
        }
      } else {
        if pending != nil { applyPending(image, time: time) }
        addDetections(finder.detect(in: image), image: image, time: time)
        removeDuplicateTracks()
      }
    }
    // 3. Keep the largest faces.
    if let maxFaces = options.maxFaces, tracks.count > maxFaces {
      let ranked = tracks.enumerated().sorted {
        let a = box(of: $0.element.points).area, b = box(of: $1.element.points).area
        return a != b ? a > b : $0.element.id < $1.element.id
      }
      let keep = Set(ranked.prefix(max(0, maxFaces)).map { $0.element.id })
      tracks.removeAll { !keep.contains($0.id) }
    }
    // 4. Smooth and report.
    var faces: [FaceResult] = []
    faces.reserveCapacity(tracks.count)
    for i in tracks.indices {
      let raw = tracks[i].points
      let size = faceSize(of: raw)
      let shown = options.smoothing ? tracks[i].smoother.smooth(raw, at: time, faceSize: size) : raw
      faces.append(FaceResult(id: tracks[i].id, score: tracks[i].score, box: box(of: shown), keypoints: shown))
    }
    return faces.sorted { $0.id < $1.id }
  }

  /// Waits for the background detection and adds its faces, cropped from the current frame.
  private func applyPending(_ image: GrayImage, time: Double) {
    guard let p = pending else { return }
    p.done.wait()
    pending = nil
    addDetections(p.boxes, image: image, time: time)
    removeDuplicateTracks()
  }

  /// A detection running on another thread and the frame whose processing will use its boxes.
  private final class PendingDetection: @unchecked Sendable {
    let applyAt: Int
    let done = DispatchSemaphore(value: 0)
    // Written by the detecting thread before `done` is signalled, read after waiting on it.
    var boxes: [FaceBox] = []

    init(applyAt: Int) {
      self.applyAt = applyAt
    }
  }

  // MARK: - Full frame

  private func processFullFrame(_ image: GrayImage, time: Double) -> [FaceResult] {
    let t = CropTransform(fullFrameWidth: image.width, height: image.height, cropSize: estimator.inputSize)
    let result = predict(image, [t])
    let raw = result.points[0]
    if tracks.isEmpty {
      tracks = [
        Track(
          id: 0, points: raw, score: result.scores[0], transform: t,
          smoother: makeSmoother(), motion: MotionPrediction(time: time))
      ]
    }
    tracks[0].points = raw
    tracks[0].score = result.scores[0]
    let shown = options.smoothing ? tracks[0].smoother.smooth(raw, at: time, faceSize: faceSize(of: raw)) : raw
    let frameBox = FaceBox(
      x: 0, y: 0, width: Float(image.width), height: Float(image.height), confidence: result.scores[0])
    return [FaceResult(id: 0, score: result.scores[0], box: frameBox, keypoints: shown)]
  }

  // MARK: - Detection

  private func addDetections(_ boxes: [FaceBox], image: GrayImage, time: Double) {
    let existing = tracks.map { box(of: $0.points) }
    let fresh = boxes.filter { b in
      b.width > 0 && b.height > 0
        && !existing.contains { $0.intersectionOverUnion(b) > options.overlapThreshold }
    }
    guard !fresh.isEmpty else { return }
    var transforms = fresh.map { b -> CropTransform in
      let crop = DetectorCalibration.kaggleCrop(for: b)
      return CropTransform(
        centerX: Float(crop.centerX), centerY: Float(crop.centerY), side: Float(crop.side),
        cropSize: estimator.inputSize)
    }
    var result = predict(image, transforms)
    // Every box is re-framed from its own keypoints; the score of the last look decides. (A box found in the
    // background some frames ago may no longer sit on its face, so a poor first look is not final.)
    var alive = Array(0..<fresh.count)
    var candPoints = result.points
    var candScores = result.scores
    let passes = max(1, options.detectionPasses)
    for pass in 1..<passes {
      guard !alive.isEmpty else { break }
      var next: [Int] = []
      var nextTransforms: [CropTransform] = []
      for i in alive {
        if let t = reframe(candPoints[i]) {
          next.append(i)
          nextTransforms.append(t)
        }
      }
      result = predict(image, nextTransforms, with: pass == passes - 1 ? refiner : estimator)
      for (k, i) in next.enumerated() {
        candPoints[i] = result.points[k]
        candScores[i] = result.scores[k]
        transforms[i] = nextTransforms[k]
      }
      alive = next
    }
    alive = alive.filter { candScores[$0] >= options.minDetectionScore }
    let refined = refineDetail(image, alive.map { candPoints[$0] })
    for (k, i) in alive.enumerated() { candPoints[i] = refined[k] }
    // A face does not hold another face. When a small "face" lies mostly inside a larger one, one is wrong: an
    // eye or a forehead of a close-up (which the score network may well accept), or a large false box around a
    // real face. The larger one stays unless it scored clearly lower. A small one inside a tracked face goes.
    let boxes = candPoints.map { box(of: $0) }
    func holds(_ outer: FaceBox, _ inner: FaceBox) -> Bool {
      outer.area > 2 * inner.area && inner.shareInside(outer) > 0.6
    }
    var dropped = Set<Int>()
    for i in alive {
      if existing.contains(where: { holds($0, boxes[i]) }) { dropped.insert(i) }
      for j in alive where j != i && holds(boxes[j], boxes[i]) {
        dropped.insert(candScores[j] >= candScores[i] - 0.05 ? i : j)
      }
    }
    alive.removeAll { dropped.contains($0) }
    // Several boxes may land on one face: keep the best-scoring, and none on an existing track.
    alive.sort { candScores[$0] > candScores[$1] }
    var taken = existing
    let limits = FaceTracker.plausibleBoxes(width: image.width, height: image.height)
    for i in alive {
      let b = boxes[i]
      if !limits(b) { continue }
      if taken.contains(where: { $0.intersectionOverUnion(b) > options.overlapThreshold }) { continue }
      taken.append(b)
      let smoother = makeSmoother()
      tracks.append(
        Track(
          id: nextID, points: candPoints[i], score: candScores[i],
          transform: transforms[i], smoother: smoother, motion: MotionPrediction(time: time)))
      nextID += 1
    }
  }

  private func makeSmoother() -> KeypointSmoother {
    KeypointSmoother(layout: layout, shape: options.shapeFilter, pose: options.poseFilter)
  }

  /// Two tracks that drifted onto the same face: keep the older one.
  private func removeDuplicateTracks() {
    guard tracks.count > 1 else { return }
    let boxes = tracks.map { box(of: $0.points) }
    var drop = Set<Int>()
    for i in 0..<tracks.count where !drop.contains(i) {
      for j in (i + 1)..<tracks.count where !drop.contains(j) {
        if boxes[i].intersectionOverUnion(boxes[j]) > 0.5 {
          drop.insert(tracks[i].id < tracks[j].id ? j : i)
        }
      }
    }
    if !drop.isEmpty {
      tracks = tracks.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
    }
  }

  // MARK: - Geometry

  /// The crop framed from keypoints exactly as the training crops were.
  private func reframe(_ framePoints: [SIMD2<Float>]) -> CropTransform? {
    guard framePoints.count == layout.count,
      let t = CropTransform.fit(points: framePoints, onto: layout, rollKept: options.rollKept * .pi / 180),
      t.scale > 0.05, t.scale < 1e5
    else { return nil }
    return t
  }

  /// The face box of a set of keypoints: the detector-like box of the crop framed from them.
  func box(of framePoints: [SIMD2<Float>]) -> FaceBox {
    guard let t = reframe(framePoints) else {
      var lo = SIMD2<Float>(.greatestFiniteMagnitude, .greatestFiniteMagnitude), hi = -lo
      for p in framePoints {
        lo = pointwiseMin(lo, p)
        hi = pointwiseMax(hi, p)
      }
      return FaceBox(x: lo.x, y: lo.y, width: max(0, hi.x - lo.x), height: max(0, hi.y - lo.y))
    }
    let corners = [
      t.frame(from: SIMD2(boxInCrop[0], boxInCrop[1])), t.frame(from: SIMD2(boxInCrop[2], boxInCrop[1])),
      t.frame(from: SIMD2(boxInCrop[0], boxInCrop[3])), t.frame(from: SIMD2(boxInCrop[2], boxInCrop[3])),
    ]
    var lo = corners[0], hi = corners[0]
    for c in corners.dropFirst() {
      lo = pointwiseMin(lo, c)
      hi = pointwiseMax(hi, c)
    }
    return FaceBox(x: lo.x, y: lo.y, width: hi.x - lo.x, height: hi.y - lo.y)
  }

  /// A test for face boxes that make sense in a `width` x `height` frame: at least 8 pixels, at most three
  /// times the frame, centred within one box of the frame. Keypoints gone astray fail it and the face is dropped.
  static func plausibleBoxes(width: Int, height: Int) -> (FaceBox) -> Bool {
    let w = Float(width), h = Float(height), largest = 3 * max(w, h)
    return { b in
      let c = b.center
      return b.width.isFinite && b.height.isFinite && b.width >= 8 && b.height >= 8 && b.width <= largest
        && b.height <= largest && c.x > -b.width && c.x < w + b.width && c.y > -b.height && c.y < h + b.height
    }
  }

  /// A size in pixels for the smoother: the face box's width.
  private func faceSize(of framePoints: [SIMD2<Float>]) -> Float {
    max(box(of: framePoints).width, 1)
  }

  /// Where a detector box sits inside the crop made from it, in crop units.
  static func faceBoxInCrop(cropSize: Int) -> SIMD4<Float> {
    let reference = FaceBox(x: 0, y: 0, width: 1000, height: 1000)
    let crop = DetectorCalibration.kaggleCrop(for: reference)
    let cx = Float(crop.centerX), cy = Float(crop.centerY), side = Float(crop.side)
    let n = Float(cropSize)
    func u(_ x: Float, _ c: Float) -> Float { (x - c) / side * n + n / 2 }
    return SIMD4(u(0, cx), u(0, cy), u(1000, cx), u(1000, cy))
  }

  // MARK: - Network

  /// The refinement stage on the faces it applies to (the others come back as they are).
  private func refineDetail(_ image: GrayImage, _ faces: [[SIMD2<Float>]]) -> [[SIMD2<Float>]] {
    guard let patchRefiner, !faces.isEmpty else { return faces }
    refinedFaces += faces.filter(patchRefiner.applies).count
    return patchRefiner.refine(faces, pixels: image.pixels, width: image.width, height: image.height)
  }

  /// Crops `transforms` out of `image` and runs the network on them in one batch.
  private func predict(_ image: GrayImage, _ transforms: [CropTransform], with network: KeypointEstimating? = nil)
    -> (points: [[SIMD2<Float>]], scores: [Float])
  {
    let count = transforms.count
    guard count > 0 else { return ([], []) }
    let n = estimator.inputSize, area = n * n, k = Keypoints.count
    if crops.count < count * area { crops = [UInt8](repeating: 0, count: count * area) }
    if points.count < count * k { points = [SIMD2<Float>](repeating: .zero, count: count * k) }
    if scores.count < count { scores = [Float](repeating: 0, count: count) }
    for (i, t) in transforms.enumerated() {
      aligner.sample(image, transform: t, into: &crops, at: i * area)
    }
    (network ?? estimator).estimate(crops: crops, count: count, points: &points, scores: &scores)
    networkCrops += count
    var out: [[SIMD2<Float>]] = []
    out.reserveCapacity(count)
    for i in 0..<count {
      let t = transforms[i]
      out.append((0..<k).map { t.frame(from: points[i * k + $0]) })
    }
    let s = (0..<count).map { scores[$0].isFinite ? min(max(scores[$0], 0), 1) : 0 }
    return (out, s)
  }
}

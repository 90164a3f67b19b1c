// `keyface train --arch keyface-patches`: the refinement network, trained from the full frames of a 68-point
// landmark table with first estimates drawn from a measured error model (see `PatchTrainer`).
import ArgumentParser
import Foundation
import KeyfaceNN
import KeyfaceTraining

extension Train {
  func trainPatches(architecture: Architecture, options: TrainingOptions) throws {
    guard let frames, let estimateErrors else { throw ValidationError("--frames and --estimate-errors are required") }
    let started = Date()
    let errors = try EstimateErrors(contentsOf: estimateErrors)
    let loaded = try LandmarkFrames.loadFaces(path: frames)
    var split: DataSplit
    if let valGroups {
      let groups = try DataSplit.readGroups(path: valGroups)
      guard groups.count == loaded.faces.count else {
        throw TrainingError("\(valGroups): \(groups.count) rows, but \(frames) has \(loaded.faces.count) faces; rows must align")
      }
      split = DataSplit.byGroups(groups, fraction: valFraction)
    } else {
      split = DataSplit.random(count: loaded.faces.count, fraction: valFraction, seed: seed)
    }
    let trainingCount = split.training.filter { KeypointPatches.eyeDistance(loaded.faces[$0].points) >= patchMinEye }.count
    printLine(
      "loaded \(loaded.faces.count) faces in \(loaded.frames.count) frames in "
        + String(format: "%.1f s", Date().timeIntervalSince(started))
        + ": \(trainingCount) train (outer eye corners at least \(patchMinEye) px apart), \(split.validation.count) validation"
        + (valGroups != nil ? " (identity split)" : "")
        + "; arch \(architecture.name), loss \(options.loss.rawValue), first-estimate errors from \(errors.count) faces"
        + String(format: " x %.2f", errorScale))
    let network: Network
    if let initialModel {
      network = try Network(contentsOf: URL(fileURLWithPath: initialModel))
      guard network.architecture == architecture else {
        throw TrainingError("\(initialModel): its layers ('\(network.architecture.name)') differ from --arch \(architecture.name)'s")
      }
    } else {
      network = Network(architecture: architecture, seed: seed)
    }
    let trainer = try PatchTrainer(
      network: network, options: options, errorScale: errorScale, mirror: options.augmentation != nil,
      minimumEyeDistance: patchMinEye)
    trainer.onEpoch = { epoch, loss, validation, seconds, best in
      printLine(
        "epoch \(String(format: "%3d", epoch))  train loss \(String(format: "%.5f", loss))  val \(validation.line)  "
          + String(format: "%.1f s", seconds) + (best ? "  *" : ""))
    }
    var metadata: [String: String] = [
      "trained_on": URL(fileURLWithPath: frames).lastPathComponent,
      "training_faces": String(trainingCount),
      "validation_faces": String(split.validation.count),
      "validation_split": valGroups != nil ? "identity groups, fraction \(valFraction)" : "random rows, fraction \(valFraction)",
      "seed": String(seed),
      "training_min_eye_distance": String(patchMinEye),
      "epochs": String(options.epochs),
      "loss": options.loss.rawValue,
      "estimate_errors": "\(errors.source) (\(errors.count) faces), x \(errorScale)",
      "license": "Trained on research-only annotations (300-W, YouTube Faces); research use only.",
    ]
    if let initialModel { metadata["initial_model"] = URL(fileURLWithPath: initialModel).lastPathComponent }
    let best = try trainer.train(
      frames: loaded.frames, faces: loaded.faces, split: split, errors: errors, checkpoint: URL(fileURLWithPath: out),
      metadata: metadata)
    printLine("best: validation \(best.line); saved \(out)")
    if let twoPasses = trainer.twoPasses { printLine("the same with two passes per face: \(twoPasses.line)") }
    if let flipped = trainer.flipAveraged { printLine("the same flip-averaged: \(flipped.line)") }
  }
}

import ArgumentParser

/// The keyface command: facial keypoints for every frame of a video.
@main
struct Keyface: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "keyface",
    abstract: "Find 15 facial keypoints in every frame of a video and stream them as JSON Lines or draw them.",
    version: "0.1.0",
    subcommands: [Run.self, Batch.self, Detect.self, Train.self, Eval.self, Predict.self, Bench.self],
    defaultSubcommand: Run.self
  )
}

import ArgumentParser

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The keyface command: facial keypoints for every frame of a video.
@main
struct Keyface: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "keyface",
    abstract: "Find 15 facial keypoints in every frame of a video and stream them as JSON Lines or draw them.",
    discussion: "Usage errors (an unknown option, a bad value) exit with status 1 and a one-line message.",
    version: "0.1.0",
    subcommands: [Run.self, Batch.self, Detect.self, Train.self, Eval.self, Predict.self, Bench.self],
    defaultSubcommand: Run.self
  )

  /// Runs the command, reporting usage errors with status 1 rather than ArgumentParser's 64 (EX_USAGE),
  /// so every command documents the same exit statuses.
  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      let code = exitCode(for: error)
      if code == .validationFailure {
        fputs(fullMessage(for: error) + "\n", stderr)
        #if canImport(Glibc)
          Glibc.exit(1)
        #else
          Darwin.exit(1)
        #endif
      }
      exit(withError: error)
    }
  }
}

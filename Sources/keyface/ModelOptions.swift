import ArgumentParser

/// Options shared by the commands that run the keypoint model: which model, which detector, how many threads.
struct ModelOptions: ParsableArguments {
  @Option(name: .customLong("model"), help: ArgumentHelp("Keypoint model file (.safetensors) to use instead of the bundled frame model.", valueName: "path"))
  var modelPath: String?

  @Option(name: .customLong("detector"), help: ArgumentHelp("OpenCV Haar cascade XML to find faces with (default: OpenCV's frontal face cascade).", valueName: "path"))
  var detectorPath: String?

  @Option(help: "Threads to use at most; 0 picks from the number of cores.")
  var threads: Int = 0

  func validate() throws {
    guard threads >= 0 else { throw ValidationError("--threads must be 0 or more, not \(threads).") }
  }
}

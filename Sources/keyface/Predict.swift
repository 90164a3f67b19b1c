import ArgumentParser

// TEMPORARY scaffold: replaced by the real command.
struct Predict: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "predict", abstract: "(in progress)")
  func run() throws { throw ValidationError("predict is not built yet") }
}

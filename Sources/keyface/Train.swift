import ArgumentParser

// TEMPORARY scaffold: replaced by the real command.
struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "train", abstract: "(in progress)")
  func run() throws { throw ValidationError("train is not built yet") }
}

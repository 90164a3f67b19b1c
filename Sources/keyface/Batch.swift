import ArgumentParser

// TEMPORARY scaffold: replaced by the real command.
struct Batch: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "batch", abstract: "(in progress)")
  func run() throws { throw ValidationError("batch is not built yet") }
}

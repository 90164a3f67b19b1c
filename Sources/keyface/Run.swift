import ArgumentParser

// TEMPORARY scaffold: replaced by the real command.
struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "run", abstract: "(in progress)")
  func run() throws { throw ValidationError("run is not built yet") }
}

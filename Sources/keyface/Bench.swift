import ArgumentParser

// TEMPORARY scaffold: replaced by the real command.
struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "bench", abstract: "(in progress)")
  func run() throws { throw ValidationError("bench is not built yet") }
}

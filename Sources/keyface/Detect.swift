import ArgumentParser

// TEMPORARY scaffold: replaced by the real command.
struct Detect: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "detect", abstract: "(in progress)")
  func run() throws { throw ValidationError("detect is not built yet") }
}

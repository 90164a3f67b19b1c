import ArgumentParser

// TEMPORARY scaffold: replaced by the real command.
struct Eval: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "eval", abstract: "(in progress)")
  func run() throws { throw ValidationError("eval is not built yet") }
}

import ArgumentParser
import Foundation
import KeyfaceNN

/// `keyface bench`: micro-benchmarks whose numbers the scripts in `scripts/` set against reference tools.
struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure keyface's own speed (see scripts/bench* for comparisons with reference tools).",
    subcommands: [BenchInference.self],
    defaultSubcommand: BenchInference.self
  )
}

/// `keyface bench inference`: crops per second of the keypoint network, one JSON object per configuration.
struct BenchInference: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inference",
    abstract: "Time keypoint inference on random 96x96 crops at each batch size and thread count.",
    discussion: """
      Prints one JSON line per configuration: {"engine":"keyface","batch":B,"threads":T,"crops_per_second":R}.
      scripts/bench-inference runs this and onnxruntime on the same model in one go and prints the ratios.
      """
  )

  @Option(help: "Model file (safetensors); the bundled frame model (the one keyface run uses) when omitted.")
  var model: String?

  @Option(parsing: .upToNextOption, help: "Batch sizes to time.")
  var batch: [Int] = [1, 32]

  @Option(parsing: .upToNextOption, help: "Thread counts to time.")
  var threads: [Int] = [1, 2]

  @Option(help: "Seconds to time each configuration.")
  var seconds: Double = 3

  func validate() throws {
    guard batch.allSatisfy({ $0 > 0 }), threads.allSatisfy({ $0 > 0 }) else {
      throw ValidationError("--batch and --threads take positive numbers")
    }
    guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
  }

  func run() throws {
    let network: Network
    do {
      network = try model.map { try Network(contentsOf: URL(fileURLWithPath: $0)) } ?? Network.bundled(.frames)
    } catch {
      FileHandle.standardError.write(Data("keyface: \(error)\n".utf8))
      throw ExitCode.failure
    }
    for b in batch {
      for t in threads {
        let rate = InferenceBenchmark.run(network: network, batch: b, threads: t, seconds: seconds)
        print(#"{"engine":"keyface","batch":\#(b),"threads":\#(t),"crops_per_second":\#(String(format: "%.1f", rate))}"#)
        fflush(stdout)
      }
    }
  }
}

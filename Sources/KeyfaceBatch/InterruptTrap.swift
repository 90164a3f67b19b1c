import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Turns SIGINT and SIGTERM into a `StopSignal`: the first asks running clips to stop, the second kills them.
///
/// The signals are ignored by the default handler while the trap is set, and read through Dispatch, so no work
/// happens in a signal handler. Child processes get the default dispositions back (see `ProcessClipRunner`).
public final class InterruptTrap: @unchecked Sendable {
  private var sources: [DispatchSourceSignal] = []
  private let signals: [Int32]

  /// Sets the trap.
  /// - Parameters:
  ///   - stop: raised on each signal.
  ///   - signals: the signals caught, SIGINT and SIGTERM by default (a cluster scheduler stops a task with SIGTERM).
  ///   - onSignal: called after each signal with its number and the new level, e.g. to print a message.
  public init(
    stop: StopSignal, signals: [Int32] = [SIGINT, SIGTERM],
    onSignal: (@Sendable (Int32, StopSignal.Level) -> Void)? = nil
  ) {
    self.signals = signals
    for number in signals {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: DispatchQueue.global())
      source.setEventHandler {
        stop.escalate(signal: number)
        onSignal?(number, stop.level)
      }
      source.resume()
      sources.append(source)
    }
  }

  /// Removes the trap and restores the default dispositions.
  public func cancel() {
    for source in sources { source.cancel() }
    sources = []
    for number in signals { signal(number, SIG_DFL) }
  }
}

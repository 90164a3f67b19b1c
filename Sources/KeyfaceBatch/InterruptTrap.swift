// SIGINT and SIGTERM, turned into a StopSignal with the self-pipe trick: the handler only write(2)s the signal's
// number into a pipe (async-signal-safe), and a thread reading the pipe raises the StopSignal. Unlike Dispatch signal
// sources, which on Linux read a signalfd and miss signals that are not blocked in every thread, this sees every
// signal whatever thread it lands on.
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The write end of the current trap's pipe, read by the C signal handler; -1 when no trap is set.
private var trapPipeWriteEnd: Int32 = -1

/// Turns SIGINT and SIGTERM into a `StopSignal`: the first asks running clips to stop, the second kills them.
///
/// One trap at a time per process. Child processes get the default dispositions back (see `ProcessClipRunner`).
public final class InterruptTrap: @unchecked Sendable {
  private let signals: [Int32]
  private var writeEnd: Int32 = -1
  private var reader: Thread?

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
    var ends: [Int32] = [-1, -1]
    guard pipe(&ends) == 0 else { return }
    let readEnd = ends[0]
    writeEnd = ends[1]
    trapPipeWriteEnd = writeEnd
    let reader = Thread {
      var byte: UInt8 = 0
      while true {
        let count = read(readEnd, &byte, 1)
        if count == 1 {
          stop.escalate(signal: Int32(byte))
          onSignal?(Int32(byte), stop.level)
        } else if count == 0 || errno != EINTR {
          break
        }
      }
      close(readEnd)
    }
    reader.start()
    self.reader = reader
    for number in signals {
      var action = sigaction()
      #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { number in
          var byte = UInt8(truncatingIfNeeded: number)
          _ = write(trapPipeWriteEnd, &byte, 1)
        }
      #else
        action.__sigaction_u.__sa_handler = { number in
          var byte = UInt8(truncatingIfNeeded: number)
          _ = write(trapPipeWriteEnd, &byte, 1)
        }
      #endif
      sigemptyset(&action.sa_mask)
      action.sa_flags = SA_RESTART
      sigaction(number, &action, nil)
    }
  }

  /// Removes the trap: restores the default dispositions and stops the reading thread.
  public func cancel() {
    for number in signals { signal(number, SIG_DFL) }
    guard writeEnd >= 0 else { return }
    trapPipeWriteEnd = -1
    close(writeEnd)
    writeEnd = -1
  }

  deinit { cancel() }
}

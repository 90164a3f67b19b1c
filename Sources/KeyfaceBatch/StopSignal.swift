import Foundation

/// A request to stop, raised by SIGINT/SIGTERM and read by the runners: first gently, then by force.
public final class StopSignal: @unchecked Sendable {
  /// How firmly to stop.
  public enum Level: Int, Comparable, Sendable {
    /// Keep going.
    case none
    /// Start nothing new; ask running clips to stop (SIGINT), wait for them.
    case interrupt
    /// Kill running clips at once (SIGKILL).
    case kill

    public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
  }

  private let lock = NSLock()
  private var current = Level.none
  private var signalNumber: Int32 = 0

  /// Creates a signal with no stop requested.
  public init() {}

  /// The current level.
  public var level: Level {
    lock.lock()
    defer { lock.unlock() }
    return current
  }

  /// The signal that first asked to stop (SIGINT = 2, SIGTERM = 15), or 0.
  public var signal: Int32 {
    lock.lock()
    defer { lock.unlock() }
    return signalNumber
  }

  /// Raises the level: the first call asks gently, a second one forces.
  public func escalate(signal: Int32 = 2) {
    lock.lock()
    defer { lock.unlock() }
    if signalNumber == 0 { signalNumber = signal }
    current = current == .none ? .interrupt : .kill
  }
}

import Foundation

/// A one-line progress bar redrawn in place on stderr; does nothing when disabled (stderr not a terminal).
public final class ProgressBar {
  /// Whether anything is drawn.
  public let enabled: Bool
  private var lastDraw = Date.distantPast
  private var drawn = false

  /// Creates a bar; pass `isatty(2) == 1` so logs and pipes get no control characters.
  public init(enabled: Bool) { self.enabled = enabled }

  /// Redraws `label [#####.....] done/total suffix`, at most ten times a second and always at the end.
  public func update(_ label: String, done: Int, total: Int, suffix: String = "") {
    guard enabled else { return }
    let now = Date()
    guard done >= total || now.timeIntervalSince(lastDraw) > 0.1 else { return }
    lastDraw = now
    let width = 30
    let filled = total > 0 ? min(width, width * done / total) : 0
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    write("\r\u{1B}[2K\(label) [\(bar)] \(done)/\(total) \(suffix)")
    drawn = true
  }

  /// Erases the bar so a normal line can follow.
  public func clear() {
    guard enabled, drawn else { return }
    write("\r\u{1B}[2K")
    drawn = false
  }

  private func write(_ text: String) {
    FileHandle.standardError.write(text.data(using: .utf8)!)
  }
}

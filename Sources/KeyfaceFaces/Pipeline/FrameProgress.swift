import Dispatch
import Foundation

/// A one-line progress display on standard error, redrawn at most ten times a second:
/// `clip.mp4: frame 1234 [#########---------------]  38% 412 fps`.
public final class FrameProgress: @unchecked Sendable {
  private let lock = NSLock()
  private var lastDraw: UInt64 = 0
  private var startTime: UInt64 = 0
  private var frames = 0
  private var source = ""

  /// Creates a display; nothing is drawn before the first update.
  public init() {}

  /// Counts one more frame of `info` and redraws the line when due.
  public func update(_ info: SourceInfo, _ result: FrameResult) {
    lock.lock()
    defer { lock.unlock() }
    let now = DispatchTime.now().uptimeNanoseconds
    if info.name != source {
      source = info.name
      startTime = now
      frames = 0
    }
    frames += 1
    guard now - lastDraw > 100_000_000 else { return }
    lastDraw = now
    let seconds = Double(now - startTime) / 1e9
    let fps = seconds > 0 ? Double(frames) / seconds : 0
    var line = "\(info.name): frame \(result.frame)"
    if let duration = info.duration, duration > 0 {
      let fraction = min(max(result.time / duration, 0), 1)
      let filled = Int(fraction * 24)
      line += " [" + String(repeating: "#", count: filled) + String(repeating: "-", count: 24 - filled) + "]"
      line += String(format: " %3.0f%%", fraction * 100)
    }
    line += String(format: " %.0f fps", fps)
    FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
  }

  /// Erases the line.
  public func clear() {
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }
}

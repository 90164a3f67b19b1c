import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One line on a terminal, redrawn in place: clips done of total, frames per second, time left.
///
/// The time left is proportional to the bytes still to process, since long clips are large ones.
public final class ProgressLine: @unchecked Sendable {
  private let descriptor: Int32
  private let lock = NSLock()
  private let started = Date()
  private var latest: BatchProgress?
  private var latestAt = Date()
  private var timer: DispatchSourceTimer?

  /// A progress line on `descriptor` (standard error by default), redrawn every second.
  public init(descriptor: Int32 = 2) {
    self.descriptor = descriptor
    let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
    timer.schedule(deadline: .now() + 1, repeating: 1)
    timer.setEventHandler { [weak self] in self?.redraw() }
    timer.resume()
    self.timer = timer
  }

  /// True when `descriptor` is a terminal, the only place a line redrawn with `\r` makes sense.
  public static func isTerminal(_ descriptor: Int32 = 2) -> Bool { isatty(descriptor) == 1 }

  /// Shows new progress.
  public func update(_ progress: BatchProgress) {
    lock.lock()
    latest = progress
    latestAt = Date()
    lock.unlock()
    redraw()
  }

  /// Stops redrawing and clears the line.
  public func finish() {
    timer?.cancel()
    timer = nil
    lock.lock()
    defer { lock.unlock() }
    latest = nil
    emit("\r\u{1B}[K")
  }

  private func redraw() {
    lock.lock()
    defer { lock.unlock() }
    guard let progress = latest else { return }
    let now = Date()
    let text = ProgressLine.render(
      progress, elapsed: now.timeIntervalSince(started), sinceUpdate: now.timeIntervalSince(latestAt),
      elapsedAtUpdate: latestAt.timeIntervalSince(started))
    emit("\r\u{1B}[K" + text)
  }

  private func emit(_ text: String) {
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { write(descriptor, $0.baseAddress, $0.count) }
  }

  /// The text of the line, e.g. `clips 7/20 (1 failed) · 143.2 frames/s · 0:42 left`.
  /// - Parameters:
  ///   - elapsed: seconds since the batch started.
  ///   - sinceUpdate: seconds since `progress` was reported.
  ///   - elapsedAtUpdate: seconds from the start to that report.
  public static func render(
    _ progress: BatchProgress, elapsed: Double, sinceUpdate: Double = 0, elapsedAtUpdate: Double? = nil
  ) -> String {
    var text = "clips \(progress.done)/\(progress.total)"
    if progress.failed > 0 { text += " (\(progress.failed) failed)" }
    // Frames are counted when a clip ends, so the rate is taken at that moment, not decayed until the next one.
    let atUpdate = elapsedAtUpdate ?? elapsed
    let rate = atUpdate > 0 ? Double(progress.frames) / atUpdate : 0
    text += " · " + String(format: "%.1f", rate) + " frames/s"
    if progress.done >= progress.total {
      text += " · done"
    } else if progress.bytesDone > 0 && progress.bytesTotal > 0 {
      let left = atUpdate * Double(progress.bytesTotal - progress.bytesDone) / Double(progress.bytesDone)
      text += " · " + clock(max(0, left - sinceUpdate)) + " left"
    } else if progress.done > 0 {
      let left = atUpdate * Double(progress.total - progress.done) / Double(progress.done)
      text += " · " + clock(max(0, left - sinceUpdate)) + " left"
    } else {
      text += " · time left unknown"
    }
    return text
  }

  /// `m:ss`, or `h:mm:ss` past an hour.
  public static func clock(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
    return hours > 0
      ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
  }
}

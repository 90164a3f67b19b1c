import Foundation

/// The training curves as an SVG picture: training loss and validation RMSE per epoch, side by side.
public struct LossCurvePlot {
  /// The epochs to draw.
  public var reports: [EpochReport]

  /// Creates a plot of `reports`.
  public init(reports: [EpochReport]) { self.reports = reports }

  /// The SVG document.
  public var svg: String {
    let width = 900.0
    let height = 360.0
    var body = ""
    body += panel(
      x: 0, width: width / 2, height: height, title: "training loss", values: reports.map(\.trainLoss),
      color: "#1f77b4", logScale: true)
    body += panel(
      x: width / 2, width: width / 2, height: height, title: "validation RMSE (px)",
      values: reports.map(\.validationRMSE), color: "#d62728", logScale: false)
    return """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
      viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      \(body)</svg>

      """
  }

  private func panel(
    x: Double, width: Double, height: Double, title: String, values: [Double], color: String, logScale: Bool
  ) -> String {
    let left = x + 60
    let right = x + width - 20
    let top = 30.0
    let bottom = height - 40
    var out = "<text x=\"\(f(x + width / 2))\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">\(title)</text>\n"
    out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(right - left))\" height=\"\(f(bottom - top))\" "
    out += "fill=\"none\" stroke=\"#888\"/>\n"
    let points = values.enumerated().filter { $0.element.isFinite && (!logScale || $0.element > 0) }
    guard !points.isEmpty else { return out }
    let transform: (Double) -> Double = logScale ? { log10($0) } : { $0 }
    var lo = points.map { transform($0.element) }.min()!
    var hi = points.map { transform($0.element) }.max()!
    if hi - lo < 1e-9 {
      lo -= 0.5
      hi += 0.5
    }
    let epochs = max(values.count, 2)
    func px(_ i: Int) -> Double { left + (right - left) * Double(i) / Double(epochs - 1) }
    func py(_ v: Double) -> Double { bottom - (bottom - top) * (transform(v) - lo) / (hi - lo) }
    for t in 0...4 {
      let level = lo + (hi - lo) * Double(t) / 4
      let value = logScale ? pow(10, level) : level
      let y = bottom - (bottom - top) * Double(t) / 4
      out += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(right))\" y2=\"\(f(y))\" stroke=\"#eee\"/>\n"
      out += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(String(format: logScale ? "%.3g" : "%.3f", value))</text>\n"
    }
    out += "<text x=\"\(f((left + right) / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">epoch (1-\(values.count))</text>\n"
    let path = points.map { "\(f(px($0.offset))),\(f(py($0.element)))" }.joined(separator: " ")
    out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path)\"/>\n"
    for p in points {
      out += "<circle cx=\"\(f(px(p.offset)))\" cy=\"\(f(py(p.element)))\" r=\"2.5\" fill=\"\(color)\"/>\n"
    }
    return out
  }

  private func f(_ v: Double) -> String { String(format: "%.1f", v) }
}

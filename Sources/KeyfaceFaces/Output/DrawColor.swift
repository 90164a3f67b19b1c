/// A colour for drawing into yuv420p frames (BT.601, limited range, as H.264 video usually is).
public struct DrawColor: Sendable, Equatable {
  /// Luma, 16...235.
  public var y: UInt8
  /// Blue-difference chroma, 16...240.
  public var u: UInt8
  /// Red-difference chroma, 16...240.
  public var v: UInt8

  /// The colour of 8-bit sRGB components.
  public init(red: Int, green: Int, blue: Int) {
    let r = Double(red), g = Double(green), b = Double(blue)
    func clamp(_ x: Double) -> UInt8 { UInt8(min(max(x.rounded(), 0), 255)) }
    y = clamp(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255)
    u = clamp(128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255)
    v = clamp(128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255)
  }

  /// Subject's left side: sky blue.
  public static let left = DrawColor(red: 40, green: 170, blue: 255)
  /// Subject's right side: red.
  public static let right = DrawColor(red: 255, green: 50, blue: 50)
  /// Midline (nose, lips): yellow.
  public static let midline = DrawColor(red: 255, green: 225, blue: 0)
  /// Face boxes: green.
  public static let box = DrawColor(red: 0, green: 230, blue: 60)
  /// Text: white.
  public static let text = DrawColor(red: 255, green: 255, blue: 255)
  /// Outlines and text backgrounds: black.
  public static let shadow = DrawColor(red: 0, green: 0, blue: 0)
}

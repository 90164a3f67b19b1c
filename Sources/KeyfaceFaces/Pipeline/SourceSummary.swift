/// What one source produced.
public struct SourceSummary: Sendable {
  /// The input as named by the user.
  public var source: String
  /// Frames decoded and written, e.g. 300.
  public var frames: Int
  /// Faces over all frames, e.g. 297.
  public var faces: Int
  /// Wall-clock seconds from opening to the last output, e.g. 1.25.
  public var seconds: Double
  /// How the source ended.
  public var outcome: SourceOutcome
  /// The error that stopped it, when `outcome` is `.failed`.
  public var error: PipelineError?
}

import ArgumentParser
import Foundation
import KeyfaceDetection
import KeyfaceFaces
import KeyfaceMedia

/// `keyface detect`: the face boxes the Haar cascade finds in every frame, as JSON Lines (a debugging aid).
struct Detect: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "detect",
    abstract: "Print the face boxes found in every frame of images or videos, as JSON Lines.",
    discussion: """
      One line per decoded frame, e.g. {"source":"a.jpg","frame":0,"time":0,"width":640,"height":480,\
      "faces":[{"box":[x,y,w,h],"score":0.9}]}, largest face first, in frame pixels (origin at the top-left \
      corner). Exit status 1 when an input could not be read (the others are still processed).
      """
  )

  @Argument(help: ArgumentHelp("Images, videos or URLs to read; - reads standard input.", valueName: "input"))
  var inputs: [String]

  @Option(help: ArgumentHelp("OpenCV Haar cascade XML to find faces with.", valueName: "path"))
  var detector: String = HaarCascade.defaultPath

  @Option(help: ArgumentHelp("Smallest face to look for, in pixels of width.", valueName: "pixels"))
  var minSize: Int = 40

  @Option(help: "Scale step between pyramid levels, above 1 (smaller is slower and finds more).")
  var scaleFactor: Float = 1.1

  @Option(help: "Overlapping raw detections a face needs to be reported (OpenCV's minNeighbors).")
  var minNeighbors: Int = 3

  @Option(
    help: ArgumentHelp(
      "Also look for heads tilted by about this many degrees either way (two extra passes).", valueName: "degrees"))
  var tilt: Float?

  @Option(
    help: ArgumentHelp(
      "Slide the window by this many pyramid pixels at every scale (default: OpenCV's 2 below scale 2, else 1); 2 is faster.",
      valueName: "pixels"))
  var windowStep: Int?

  @Flag(help: "Add the detector's CPU time for each frame, in milliseconds, to its line as \"ms\".")
  var timing = false

  func validate() throws {
    guard !inputs.isEmpty else { throw ValidationError("Name at least one image or video (or - for standard input).") }
    guard minSize >= 1 else { throw ValidationError("--min-size must be 1 or more, not \(minSize).") }
    guard scaleFactor > 1, scaleFactor <= 4 else {
      throw ValidationError("--scale-factor must be above 1 and at most 4.")
    }
    guard minNeighbors >= 0 else { throw ValidationError("--min-neighbors must be 0 or more.") }
    if let windowStep, !(1...8).contains(windowStep) { throw ValidationError("--window-step must be 1 to 8.") }
    if let tilt, !(tilt > 0 && tilt < 90) { throw ValidationError("--tilt must be between 0 and 90 degrees.") }
    if inputs.filter({ $0 == "-" }).count > 1 { throw ValidationError("Standard input (-) can be read only once.") }
  }

  func run() throws {
    let cascade: HaarCascade
    do {
      cascade = try HaarCascade(contentsOf: detector)
    } catch {
      Self.printError(error)
      throw ExitCode.failure
    }
    let faceDetector = FaceDetector(
      cascade: cascade, minFaceSize: minSize, scaleFactor: scaleFactor, minNeighbors: minNeighbors,
      rotations: tilt.map { [-$0, $0] } ?? [], windowStep: windowStep)
    var failed = false
    for input in inputs {
      do {
        let reader = try VideoReader(path: input)
        reader.onWarning = { FileHandle.standardError.write(Data("keyface: \($0)\n".utf8)) }
        while let frame = try reader.nextFrame() {
          let start = Self.processCPUTime()
          let faces = faceDetector.detect(in: frame.gray)
          let milliseconds = timing ? (Self.processCPUTime() - start) * 1000 : nil
          let line = Self.jsonLine(source: input, frame: frame, faces: faces, milliseconds: milliseconds)
          FileHandle.standardOutput.write(Data(line.utf8))
        }
      } catch {
        Self.printError(error)
        failed = true
      }
    }
    if failed { throw ExitCode.failure }
  }

  static func jsonLine(source: String, frame: DecodedFrame, faces: [FaceBox], milliseconds: Double?) -> String {
    let boxes = faces.map { face in
      "{\"box\":[\(number(face.x)),\(number(face.y)),\(number(face.width)),\(number(face.height))],"
        + "\"score\":\(number(face.confidence, digits: 3))}"
    }
    return
      "{\"source\":\(jsonString(source)),\"frame\":\(frame.index),\"time\":\(number(Float(frame.time), digits: 4)),"
      + "\"width\":\(frame.gray.width),\"height\":\(frame.gray.height),\"faces\":[\(boxes.joined(separator: ","))]"
      + (milliseconds.map { ",\"ms\":\(number(Float($0), digits: 3))" } ?? "") + "}\n"
  }

  /// CPU time of the whole process in seconds (the detector may use two threads on large frames): unaffected
  /// by other processes sharing the cores. The video decoder's threads are idle while a frame is searched.
  static func processCPUTime() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
  }

  /// A number with at most `digits` decimals and no trailing zeros, e.g. 132.5.
  static func number(_ value: Float, digits: Int = 2) -> String {
    var text = String(format: "%.\(digits)f", Double(value))
    if text.contains(".") {
      while text.hasSuffix("0") { text.removeLast() }
      if text.hasSuffix(".") { text.removeLast() }
    }
    return text == "-0" ? "0" : text
  }

  static func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }

  static func printError(_ error: Error) {
    FileHandle.standardError.write(Data("keyface: \(String(describing: error))\n".utf8))
  }
}

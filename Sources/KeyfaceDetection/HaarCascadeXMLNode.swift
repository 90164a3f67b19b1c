// A minimal element tree for OpenCV's FileStorage XML, read with Foundation's XMLParser.
// Keeps element names, children, text and the `type_id` attribute (the only attribute cascade
// files use); comments and processing instructions are skipped.
import Foundation

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// One XML element of a cascade file: its name, its own text and its child elements.
final class HaarCascadeXMLNode {
  let name: String
  var text: String = ""
  var children: [HaarCascadeXMLNode] = []
  /// The element's `type_id` attribute, e.g. `opencv-haar-classifier`, if it has one.
  var typeID: String?

  init(name: String) {
    self.name = name
  }

  /// The first child with this name.
  func child(_ name: String) -> HaarCascadeXMLNode? {
    children.first { $0.name == name }
  }

  /// The text of the first child with this name, trimmed.
  func childText(_ name: String) -> String? {
    child(name).map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }
  }

  /// The whitespace-separated numbers in this element's text.
  func numbers() -> [Double]? {
    var result: [Double] = []
    // Byte-wise: splitting Characters (grapheme clusters) made this the slowest part of loading a cascade.
    for token in text.utf8.split(whereSeparator: { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }) {
      // Indices, rectangles, thresholds and leaf values are all small: a non-finite or huge number is a corrupt
      // file (and would trap where it becomes an index).
      guard let value = Double(Substring(token)), value.isFinite, abs(value) <= 1e7 else { return nil }
      result.append(value)
    }
    return result
  }

  /// Parses an XML document; returns its root element or throws the parser's message.
  static func parse(_ data: Data) throws -> HaarCascadeXMLNode {
    let parser = XMLParser(data: data)
    let builder = TreeBuilder()
    parser.delegate = builder
    let finished = parser.parse()
    if let open = builder.stack.last {
      throw HaarCascadeXMLError(message: "<\(open.name)> is never closed")
    }
    guard finished, parser.parserError == nil, let root = builder.root else {
      let code = (parser.parserError as NSError?)?.code ?? 0
      throw HaarCascadeXMLError(message: "malformed XML near line \(parser.lineNumber) (XMLParser error \(code))")
    }
    return root
  }
}

/// A parse failure, with the parser's line number and message.
struct HaarCascadeXMLError: Error {
  let message: String
}

private final class TreeBuilder: NSObject, XMLParserDelegate {
  var root: HaarCascadeXMLNode?
  var stack: [HaarCascadeXMLNode] = []

  func parser(
    _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
  ) {
    let node = HaarCascadeXMLNode(name: elementName)
    node.typeID = attributeDict["type_id"]
    if let parent = stack.last {
      parent.children.append(node)
    } else if root == nil {
      root = node
    }
    stack.append(node)
  }

  func parser(
    _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
    qualifiedName qName: String?
  ) {
    _ = stack.popLast()
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    stack.last?.text += string
  }
}

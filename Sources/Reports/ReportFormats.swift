import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Readers of the single-report file formats (OpenI XML, plain text).
enum ReportFormats {
    /// Reads a whole file, or an error naming it.
    static func data(path: String) -> Result<Data, ReportReadError> {
        do {
            return .success(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            return .failure(ReportReadError(source: ReportSource(path: path), message: "cannot read file: \(error.localizedDescription)"))
        }
    }

    /// The byte offset of the first invalid UTF-8 sequence, or nil when `bytes` are valid.
    static func firstInvalidUTF8(_ bytes: some Collection<UInt8>) -> Int? {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var offset = 0
        var lastValid = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                offset += UTF8.width(scalar)
                lastValid = offset
            case .emptyInput:
                return nil
            case .error:
                return lastValid
            }
        }
    }

    /// The byte offset of the first processing instruction with a target and no data (`<?x?>`),
    /// or nil. libxml2 reports such an instruction with NULL data, and FoundationXML's XMLParser
    /// (swift-corelibs-foundation, as of Swift 6.3) turns that NULL into a String unchecked and
    /// crashes — found by Fuzz/FuzzReports. A `<?` inside a comment or CDATA is refused too:
    /// rare in reports, and a clear error beats a crash.
    static func processingInstructionWithoutData(_ data: Data) -> Int? {
        let bytes = [UInt8](data)
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "<") && bytes[index + 1] == UInt8(ascii: "?") {
                var end = index + 2
                while end < bytes.count, ![UInt8(ascii: " "), 0x09, 0x0A, 0x0D, UInt8(ascii: "?")].contains(bytes[end]) { end += 1 }
                if end > index + 2, end + 1 < bytes.count, bytes[end] == UInt8(ascii: "?"), bytes[end + 1] == UInt8(ascii: ">") {
                    return index
                }
            }
            index += 1
        }
        return nil
    }

    /// A plain-text report: id = file stem, sections from headings.
    static func readPlainText(path: String) -> Result<Report, ReportReadError> {
        let source = ReportSource(path: path)
        let data: Data
        switch Self.data(path: path) {
        case .success(let d): data = d
        case .failure(let e): return .failure(e)
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            let offset = firstInvalidUTF8(data) ?? 0
            return .failure(ReportReadError(source: source, message: "not valid UTF-8 (first bad byte at offset \(offset))"))
        }
        guard !text.allSatisfy(\.isWhitespace) else {
            return .failure(ReportReadError(source: source, message: "empty report"))
        }
        let id = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return .success(Report(id: id, text: text, source: source))
    }

    /// An OpenI/ecgen XML report: id = `uId`, sections from `AbstractText Label=…`.
    static func readXML(path: String) -> Result<Report, ReportReadError> {
        let source = ReportSource(path: path)
        let data: Data
        switch Self.data(path: path) {
        case .success(let d): data = d
        case .failure(let e): return .failure(e)
        }
        if let offset = firstInvalidUTF8(data) {
            return .failure(ReportReadError(source: source, message: "not valid UTF-8 (first bad byte at offset \(offset))"))
        }
        if let offset = processingInstructionWithoutData(data) {
            return .failure(ReportReadError(source: source, message: "processing instruction without data at byte \(offset) (like <?x?>): refused, because Foundation's XML parser crashes on it"))
        }
        let delegate = OpenIXMLDelegate()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        // Some XMLParser versions report an error through the delegate yet return true.
        guard parser.parse(), delegate.error == nil else {
            let error = delegate.error ?? parser.parserError
            let reason = error.map { ($0 as NSError).localizedDescription } ?? "unknown error"
            return .failure(ReportReadError(source: source, message: "malformed XML at line \(delegate.errorLine ?? parser.lineNumber): \(reason)"))
        }
        guard let id = delegate.id, !id.isEmpty else {
            return .failure(ReportReadError(source: source, message: "no <uId id=\"…\"> element: not an OpenI report"))
        }
        let sections = delegate.sections.map {
            ReportSection(name: $0.name, text: $0.text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        guard sections.contains(where: { !$0.text.isEmpty }) else {
            return .failure(ReportReadError(source: source, message: "empty report: no <AbstractText> has text"))
        }
        return .success(Report(id: id, sections: sections, source: source))
    }
}

/// Collects `uId` and the labelled `AbstractText` elements of an OpenI report.
private final class OpenIXMLDelegate: NSObject, XMLParserDelegate {
    var id: String?
    var sections: [(name: String?, text: String)] = []
    private var inAbstractText = false
    var error: Error?
    var errorLine: Int?

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
        if error == nil { error = parseError; errorLine = parser.lineNumber }
    }

    func parser(_ parser: XMLParser, validationErrorOccurred validationError: Error) {
        if error == nil { error = validationError; errorLine = parser.lineNumber }
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        switch elementName {
        case "uId":
            if id == nil { id = attributes["id"] }
        case "AbstractText":
            inAbstractText = true
            sections.append((attributes["Label"]?.uppercased(), ""))
        default:
            break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inAbstractText { sections[sections.count - 1].text += string }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        if elementName == "AbstractText" { inAbstractText = false }
    }
}

/// A media type with its parameters, as in a Content-Type header (RFC 9110 8.3.1):
/// `type/subtype *( OWS ";" OWS name=( token / quoted-string ) )`.
///
/// Type, subtype and parameter names are case-insensitive and kept in lower case; values
/// keep their case (a boundary is case-sensitive).
public struct MediaType: Sendable, Equatable, CustomStringConvertible {
    public var type: String
    public var subtype: String
    /// Parameters by lower-cased name, unquoted.
    public var parameters: [String: String]

    public init(type: String, subtype: String, parameters: [String: String] = [:]) {
        self.type = type.lowercased()
        self.subtype = subtype.lowercased()
        self.parameters = Dictionary(uniqueKeysWithValues: parameters.map { ($0.key.lowercased(), $0.value) })
    }

    /// "type/subtype", lower case.
    public var essence: String { "\(type)/\(subtype)" }

    /// Parses a Content-Type value. Unquoted parameter values may hold "/" and ":", which RFC
    /// 9110 reserves for quoted strings, because clients send `type=application/dicom` and
    /// such boundaries unquoted. Throws `MultipartError.malformedContentType` naming
    /// what is wrong (no slash, a bad token, an unterminated quoted string, a repeated parameter).
    public init(parsing text: String) throws {
        var scanner = HeaderScanner(text)
        func fail(_ reason: String) -> MultipartError { .malformedContentType(text, reason: reason) }
        scanner.skipWhitespace()
        guard let type = scanner.token(), scanner.consume("/"), let subtype = scanner.token() else {
            throw fail("expected type/subtype")
        }
        var parameters: [String: String] = [:]
        while true {
            scanner.skipWhitespace()
            if scanner.atEnd { break }
            guard scanner.consume(";") else { throw fail("expected \";\" before \(scanner.rest.debugDescription)") }
            scanner.skipWhitespace()
            if scanner.atEnd { break }   // a trailing semicolon is tolerated
            guard let name = scanner.token(), scanner.consume("=") else { throw fail("expected name=value in \(scanner.rest.debugDescription)") }
            let value: String
            if scanner.peek == "\"" {
                guard let quoted = scanner.quotedString() else { throw fail("unterminated quoted string for parameter \(name)") }
                value = quoted
            } else {
                guard let token = scanner.unquotedValue() else { throw fail("parameter \(name) has no value") }
                value = token
            }
            guard parameters.updateValue(value, forKey: name.lowercased()) == nil else {
                throw fail("parameter \(name.lowercased()) appears twice")
            }
        }
        self.init(type: type, subtype: subtype, parameters: parameters)
    }

    /// The header value, quoting parameter values that are not tokens.
    public var description: String {
        var text = essence
        for name in parameters.keys.sorted() {
            let value = parameters[name]!
            let isToken = !value.isEmpty && value.unicodeScalars.allSatisfy(HeaderScanner.isTokenCharacter)
            text += "; \(name)=" + (isToken ? value : "\"" + value.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"") + "\"")
        }
        return text
    }
}

/// Reads tokens and quoted strings from a header value (RFC 9110 5.6.2, 5.6.4).
struct HeaderScanner {
    let scalars: [Unicode.Scalar]
    var index = 0

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    var atEnd: Bool { index >= scalars.count }
    var peek: Unicode.Scalar? { atEnd ? nil : scalars[index] }
    var rest: String { String(String.UnicodeScalarView(scalars[index...])) }

    /// tchar: any visible ASCII character except the delimiters "(),/:;<=>?@[\]{}.
    static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value > 0x20 && scalar.value < 0x7F && !"\"(),/:;<=>?@[\\]{}".unicodeScalars.contains(scalar)
    }

    mutating func skipWhitespace() {
        while let c = peek, c == " " || c == "\t" { index += 1 }
    }

    mutating func consume(_ scalar: Unicode.Scalar) -> Bool {
        guard peek == scalar else { return false }
        index += 1
        return true
    }

    mutating func token() -> String? {
        let start = index
        while let c = peek, HeaderScanner.isTokenCharacter(c) { index += 1 }
        return index > start ? String(String.UnicodeScalarView(scalars[start..<index])) : nil
    }

    /// An unquoted parameter value: visible ASCII up to ";" or whitespace (tokens, and the
    /// "/" and ":" clients leave unquoted).
    mutating func unquotedValue() -> String? {
        let start = index
        while let c = peek, c.value > 0x20, c.value < 0x7F, c != ";", c != "\"" { index += 1 }
        return index > start ? String(String.UnicodeScalarView(scalars[start..<index])) : nil
    }

    /// A quoted string with its quotes removed and quoted-pairs resolved; nil when unterminated.
    mutating func quotedString() -> String? {
        guard consume("\"") else { return nil }
        var value = String.UnicodeScalarView()
        while let c = peek {
            index += 1
            switch c {
            case "\"": return String(value)
            case "\\":
                guard let escaped = peek else { return nil }
                value.append(escaped)
                index += 1
            default:
                value.append(c)
            }
        }
        return nil
    }
}

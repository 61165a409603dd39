import Foundation

/// Writes multipart bodies (RFC 2046 5.1), e.g. the `multipart/related; type="application/dicom"`
/// responses of WADO-RS (PS3.18 8.6.1.2). Parts can be written whole (`encode`) or one at a
/// time (`opening(of:isFirst:)`, the part's bytes, then `closing`) when the response streams.
public struct MultipartWriter: Sendable {
    public let boundary: String

    /// A writer with `boundary`, which must follow RFC 2046 5.1.1.
    public init(boundary: String) throws {
        if let problem = Boundary.problem(with: boundary) { throw MultipartError.invalidBoundary(boundary, reason: problem) }
        self.boundary = boundary
    }

    /// A writer with a fresh random boundary (a UUID: no body will contain it by chance).
    public init() {
        boundary = "thorax-" + UUID().uuidString
    }

    /// The Content-Type of the body: `multipart/<subtype>; boundary=…` with `type` (the
    /// root part's media type, RFC 2387 3.1) when given.
    public func contentType(subtype: String = "related", type: String? = nil) -> String {
        var parameters = ["boundary": boundary]
        if let type { parameters["type"] = type }
        return MediaType(type: "multipart", subtype: subtype, parameters: parameters).description
    }

    /// The whole body. Throws `MultipartError.unencodable` when a part's body contains the
    /// delimiter or a header cannot be written.
    public func encode(_ parts: [MultipartPart]) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for (index, part) in parts.enumerated() {
            bytes += try opening(of: part, isFirst: index == 0)
            bytes += part.body
        }
        bytes += closing(isEmpty: parts.isEmpty)
        return bytes
    }

    /// What precedes a part's body: the boundary line and its headers.
    public func opening(of part: MultipartPart, isFirst: Bool) throws -> [UInt8] {
        // The header block ends in CRLF, so a body starting with "--boundary" would close the part too.
        if part.body.starts(with: Array("--\(boundary)".utf8)) || MultipartWriter.contains(part.body, Array("\r\n--\(boundary)".utf8)) {
            throw MultipartError.unencodable("a part's body contains the boundary \(boundary)")
        }
        var text = (isFirst ? "" : "\r\n") + "--\(boundary)\r\n"
        for field in part.headers {
            guard !field.name.isEmpty, field.name.unicodeScalars.allSatisfy(HeaderScanner.isTokenCharacter) else {
                throw MultipartError.unencodable("header name \(field.name.debugDescription) is not a token")
            }
            guard !field.value.contains("\r") && !field.value.contains("\n") else {
                throw MultipartError.unencodable("header \(field.name) has a line break in its value")
            }
            text += "\(field.name): \(field.value)\r\n"
        }
        return Array((text + "\r\n").utf8)
    }

    /// The closing delimiter; for a body with no parts, the boundary line alone.
    public func closing(isEmpty: Bool = false) -> [UInt8] {
        Array(((isEmpty ? "" : "\r\n") + "--\(boundary)--\r\n").utf8)
    }

    static func contains(_ bytes: [UInt8], _ pattern: [UInt8]) -> Bool {
        guard bytes.count >= pattern.count, let first = pattern.first else { return false }
        var index = 0
        while index <= bytes.count - pattern.count {
            guard let candidate = bytes[index...(bytes.count - pattern.count)].firstIndex(of: first) else { return false }
            if bytes[candidate..<(candidate + pattern.count)].elementsEqual(pattern) { return true }
            index = candidate + 1
        }
        return false
    }
}

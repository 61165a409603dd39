/// Reads a multipart body (RFC 2046 5.1, RFC 2387 multipart/related as PS3.18 STOW-RS sends
/// it) incrementally: `append` takes the body in chunks of any size — a boundary may be split
/// across chunks — and returns the parts completed so far; `finish` checks that the body was
/// closed. Only the part being read and a delimiter's length of look-ahead are held, and
/// `Limits` bounds both.
///
/// Hand-written: no multipart parser is among the project's dependencies (Hummingbird has none,
/// and vapor/multipart-kit would bring Vapor's stack with it), and this one is small.
public struct MultipartParser: Sendable {
    public struct Limits: Sendable {
        /// Most bytes of one part's body.
        public var maximumPartBytes: Int
        /// Most bytes of one part's header block.
        public var maximumHeaderBytes: Int
        public var maximumParts: Int
        /// Most characters of the boundary: RFC 2046's 70 by default. Peers exceed it (Orthanc
        /// 1.10's DICOMweb client sends 73: two UUIDs joined by a dash), so a server that takes
        /// their bodies raises it; the other boundary rules stay.
        public var maximumBoundaryCharacters: Int

        public init(maximumPartBytes: Int = 1 << 30, maximumHeaderBytes: Int = 16 << 10, maximumParts: Int = 10_000,
                    maximumBoundaryCharacters: Int = 70) {
            self.maximumPartBytes = maximumPartBytes
            self.maximumHeaderBytes = maximumHeaderBytes
            self.maximumParts = maximumParts
            self.maximumBoundaryCharacters = maximumBoundaryCharacters
        }
    }

    enum State: Sendable {
        /// Before the first boundary: the preamble, discarded.
        case preamble
        /// At a delimiter's end: "--" closes the body, else padding and CRLF start a part.
        case afterDelimiter
        case headers
        case body
        /// After the closing delimiter: the epilogue, discarded.
        case epilogue
    }

    public let boundary: String
    public let requirePartContentType: Bool
    public let limits: Limits
    /// CRLF "--" boundary: what ends every part.
    let delimiter: [UInt8]
    var buffer: [UInt8]
    var start = 0
    var state = State.preamble
    var partNumber = 0
    var headers: [HeaderField] = []
    var body: [UInt8] = []

    /// A parser for the body of a request with this Content-Type, which must be multipart
    /// (any subtype) with a valid boundary parameter, quoted or not.
    public init(contentType: String, requirePartContentType: Bool = false, limits: Limits = Limits()) throws {
        let mediaType = try MediaType(parsing: contentType)
        guard mediaType.type == "multipart" else { throw MultipartError.notMultipart(contentType) }
        guard let boundary = mediaType.parameters["boundary"] else { throw MultipartError.missingBoundary(contentType) }
        try self.init(boundary: boundary, requirePartContentType: requirePartContentType, limits: limits)
    }

    public init(boundary: String, requirePartContentType: Bool = false, limits: Limits = Limits()) throws {
        if let problem = Boundary.problem(with: boundary, maximumLength: limits.maximumBoundaryCharacters) {
            throw MultipartError.invalidBoundary(boundary, reason: problem)
        }
        self.boundary = boundary
        self.requirePartContentType = requirePartContentType
        self.limits = limits
        delimiter = Array("\r\n--\(boundary)".utf8)
        // The first boundary may open the body without a CRLF before it: reading the body as
        // if one preceded it lets every boundary be found as the same delimiter.
        buffer = [0x0D, 0x0A]
    }

    /// Whole body at once: the parts, or the first error.
    public static func parse(_ body: some Sequence<UInt8>, contentType: String, requirePartContentType: Bool = false,
                             limits: Limits = Limits()) throws -> [MultipartPart] {
        var parser = try MultipartParser(contentType: contentType, requirePartContentType: requirePartContentType, limits: limits)
        var parts = try parser.append(body)
        parts += try parser.finish()
        return parts
    }

    /// Feeds the next bytes of the body; returns the parts they complete. After an error the
    /// parser must not be used again.
    public mutating func append(_ bytes: some Sequence<UInt8>) throws -> [MultipartPart] {
        buffer.append(contentsOf: bytes)
        var parts: [MultipartPart] = []
        while try step(&parts) {}
        if start > 4096 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return parts
    }

    /// Ends the body: throws `MultipartError.truncated` unless the closing boundary was read.
    public mutating func finish() throws -> [MultipartPart] {
        guard case .epilogue = state else {
            switch state {
            case .preamble: throw MultipartError.truncated(part: nil)
            default: throw MultipartError.truncated(part: max(partNumber, 1))
            }
        }
        return []
    }

    /// One transition; false when more input is needed.
    mutating func step(_ parts: inout [MultipartPart]) throws -> Bool {
        switch state {
        case .preamble:
            guard let found = find(delimiter, from: start) else {
                start = max(start, buffer.count - (delimiter.count - 1))   // the preamble is discarded
                return false
            }
            start = found + delimiter.count
            state = .afterDelimiter
            return true
        case .afterDelimiter:
            return try readBoundaryLineEnd()
        case .headers:
            return try readHeaders()
        case .body:
            return try readBody(&parts)
        case .epilogue:
            start = buffer.count
            return false
        }
    }

    /// After "--boundary": "--" ends the body; otherwise optional spaces and tabs, then CRLF.
    mutating func readBoundaryLineEnd() throws -> Bool {
        var index = start
        guard index + 2 <= buffer.count else { return false }
        if buffer[index] == 0x2D && buffer[index + 1] == 0x2D {
            state = .epilogue
            start = index + 2
            return true
        }
        while index < buffer.count, buffer[index] == 0x20 || buffer[index] == 0x09 {
            index += 1
            if index - start > 1024 { throw MultipartError.malformedBoundaryLine(part: partNumber + 1) }
        }
        guard index + 2 <= buffer.count else { return false }
        guard buffer[index] == 0x0D && buffer[index + 1] == 0x0A else {
            throw MultipartError.malformedBoundaryLine(part: partNumber + 1)
        }
        partNumber += 1
        guard partNumber <= limits.maximumParts else { throw MultipartError.tooManyParts(limit: limits.maximumParts) }
        start = index + 2
        state = .headers
        headers = []
        body = []
        return true
    }

    /// The header block up to its empty line. An empty part (no headers, no CRLF) is followed
    /// by the delimiter at once, its CRLF being the delimiter's own.
    mutating func readHeaders() throws -> Bool {
        let available = buffer.count - start
        let delimiterPrefix = min(available, delimiter.count)
        if buffer[start..<(start + delimiterPrefix)].elementsEqual(delimiter[0..<delimiterPrefix]) {
            if available < delimiter.count { return false }   // cannot tell yet
            try checkContentType()
            state = .body
            return true
        }
        if available >= 2 && buffer[start] == 0x0D && buffer[start + 1] == 0x0A {   // no headers
            start += 2
            try checkContentType()
            state = .body
            return true
        }
        guard let end = find([0x0D, 0x0A, 0x0D, 0x0A], from: start) else {
            if available > limits.maximumHeaderBytes {
                throw MultipartError.headersTooLarge(part: partNumber, limit: limits.maximumHeaderBytes)
            }
            return false
        }
        guard end - start <= limits.maximumHeaderBytes else {
            throw MultipartError.headersTooLarge(part: partNumber, limit: limits.maximumHeaderBytes)
        }
        headers = try MultipartParser.parseHeaders(buffer[start..<end], part: partNumber)
        start = end + 4
        try checkContentType()
        state = .body
        return true
    }

    func checkContentType() throws {
        if requirePartContentType && !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            throw MultipartError.missingContentType(part: partNumber)
        }
    }

    /// The body up to the next delimiter; without one, all but a delimiter's length of
    /// look-ahead moves into the part.
    mutating func readBody(_ parts: inout [MultipartPart]) throws -> Bool {
        if let found = find(delimiter, from: start) {
            try take(upTo: found)
            parts.append(MultipartPart(headers: headers, body: body))
            body = []
            start = found + delimiter.count
            state = .afterDelimiter
            return true
        }
        let safe = buffer.count - (delimiter.count - 1)
        if safe > start { try take(upTo: safe) }
        return false
    }

    mutating func take(upTo end: Int) throws {
        guard body.count + (end - start) <= limits.maximumPartBytes else {
            throw MultipartError.partTooLarge(part: partNumber, limit: limits.maximumPartBytes)
        }
        body.append(contentsOf: buffer[start..<end])
        start = end
    }

    /// Header lines "Name: value" separated by CRLF; a line starting with a space or tab
    /// continues the previous one (obsolete folding, unfolded with one space).
    static func parseHeaders(_ block: ArraySlice<UInt8>, part: Int) throws -> [HeaderField] {
        var fields: [HeaderField] = []
        let text = String(decoding: block, as: UTF8.self)
        for line in text.components(separatedBy: "\r\n") {
            if let first = line.unicodeScalars.first, first == " " || first == "\t", !fields.isEmpty {
                // Joined with one space, none after an empty value: the value reads the same
                // as if it had been written on one line (and so after writing it back).
                let continuation = line.trimmingWhitespace()
                let value = fields[fields.count - 1].value
                fields[fields.count - 1].value = value.isEmpty ? continuation : continuation.isEmpty ? value : value + " " + continuation
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { throw MultipartError.malformedHeader(part: part, line: line) }
            let name = String(line[..<colon])
            guard !name.isEmpty, name.unicodeScalars.allSatisfy(HeaderScanner.isTokenCharacter) else {
                throw MultipartError.malformedHeader(part: part, line: line)
            }
            fields.append(HeaderField(name, String(line[line.index(after: colon)...]).trimmingWhitespace()))
        }
        return fields
    }

    /// The first index at or after `from` where `pattern` starts in the buffer, or nil.
    func find(_ pattern: [UInt8], from: Int) -> Int? {
        guard let first = pattern.first, buffer.count - from >= pattern.count else { return nil }
        var index = from
        let last = buffer.count - pattern.count
        while index <= last {
            guard let candidate = buffer[index...last].firstIndex(of: first) else { return nil }
            if buffer[candidate..<(candidate + pattern.count)].elementsEqual(pattern) { return candidate }
            index = candidate + 1
        }
        return nil
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self).unicodeScalars
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}

import Multipart
import Service

/// An Accept header (RFC 9110 12.5.1): media ranges with parameters and quality values, read
/// with Multipart's media-type parser. An absent or empty header accepts anything.
struct AcceptHeader {
    struct Range {
        var mediaType: MediaType
        /// q, 0…1 (1 when not given).
        var quality: Double

        /// Whether the range covers `type`/`subtype`: equal, `type/*` or `*/*`.
        func covers(_ type: String, _ subtype: String) -> Bool {
            (mediaType.type == "*" || mediaType.type == type) && (mediaType.subtype == "*" || mediaType.subtype == subtype)
        }
    }

    /// The ranges with q > 0, highest quality first (the header's order among equals).
    var ranges: [Range]

    var acceptsAnything: Bool { ranges.isEmpty }

    /// - Throws: 400 naming the header for a range that is not a media type.
    init(_ header: String?) throws(ServiceError) {
        var ranges: [Range] = []
        for item in AcceptHeader.split(header ?? "") {
            guard let mediaType = try? MediaType(parsing: item) else {
                throw .badRequest("the Accept header's \(item.debugDescription) is not a media range")
            }
            var quality = 1.0
            if let q = mediaType.parameters["q"] {
                guard let value = Double(q), (0...1).contains(value) else {
                    throw .badRequest("the Accept header's quality \(q.debugDescription) is not a number from 0 to 1")
                }
                quality = value
            }
            if quality > 0 { ranges.append(Range(mediaType: mediaType, quality: quality)) }
        }
        self.ranges = ranges.enumerated().sorted { a, b in
            a.element.quality != b.element.quality ? a.element.quality > b.element.quality : a.offset < b.offset
        }.map(\.element)
        if header.map({ !AcceptHeader.split($0).isEmpty }) == true && self.ranges.isEmpty {
            throw ServiceError(.notAcceptable, "the Accept header accepts nothing (every quality is 0)")
        }
    }

    /// The header's comma-separated items, commas inside quoted strings kept.
    static func split(_ header: String) -> [String] {
        var items: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in header {
            if escaped { escaped = false; current.append(character); continue }
            switch character {
            case "\\" where quoted: escaped = true; current.append(character)
            case "\"": quoted.toggle(); current.append(character)
            case "," where !quoted:
                items.append(current)
                current = ""
            default: current.append(character)
            }
        }
        items.append(current)
        return items.map { $0.trimmingWhitespaceAndTabs() }.filter { !$0.isEmpty }
    }
}

extension String {
    func trimmingWhitespaceAndTabs() -> String {
        var scalars = Substring(self).unicodeScalars
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}

/// One header field of a part, as written (name case kept).
public struct HeaderField: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One body part of a multipart body: its headers and its bytes.
public struct MultipartPart: Sendable, Equatable {
    public var headers: [HeaderField]
    public var body: [UInt8]

    public init(headers: [HeaderField] = [], body: [UInt8]) {
        self.headers = headers
        self.body = body
    }

    /// A part with a Content-Type header.
    public init(contentType: String, body: [UInt8], headers: [HeaderField] = []) {
        self.init(headers: [HeaderField("Content-Type", contentType)] + headers, body: body)
    }

    /// The first value of the header `name` (case-insensitive), or nil.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    public var contentType: String? { header("Content-Type") }
}

/// The boundary rules of RFC 2046 5.1.1: 1 to 70 characters (or the reader's `maximumLength`)
/// from `bchars`, not ending in a space.
enum Boundary {
    static let allowed = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ".unicodeScalars)

    /// What is wrong with `boundary`, or nil when it is valid.
    static func problem(with boundary: String, maximumLength: Int = 70) -> String? {
        let scalars = Array(boundary.unicodeScalars)
        guard (1...max(1, maximumLength)).contains(scalars.count) else {
            return "it has \(scalars.count) characters, 1 to \(maximumLength) are allowed"
        }
        if let bad = scalars.first(where: { !allowed.contains($0) }) { return "character \"\(bad)\" is not allowed" }
        if scalars.last == " " { return "it ends in a space" }
        return nil
    }
}

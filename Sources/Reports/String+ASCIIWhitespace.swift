extension String {
    /// The string without leading and trailing ASCII whitespace; the string itself (no copy)
    /// when there is none, which is the common case on hot paths.
    var trimmingASCIIWhitespace: String {
        func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 || b == 12 || b == 11 }
        let bytes = utf8
        guard let first = bytes.first, let last = bytes.last, isSpace(first) || isSpace(last) else { return self }
        guard let lower = bytes.firstIndex(where: { !isSpace($0) }),
              let upper = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[lower...upper])
    }

    /// True when the string has a byte other than ASCII whitespace.
    var hasNonWhitespace: Bool {
        utf8.contains { !($0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 || $0 == 12 || $0 == 11) }
    }
}

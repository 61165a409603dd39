extension ReportSection {
    /// Headings recognized in plain text, lower-case, longest first (so "clinical history" wins
    /// over "history"). A heading counts only when a colon follows it and it starts a word.
    static let knownHeadings: [String] = [
        "reason for examination", "reason for exam", "clinical information", "clinical indication",
        "clinical history", "recommendations", "recommendation", "notification", "conclusions",
        "comparisons", "impressions", "indications", "examination", "conclusion", "comparison",
        "indication", "impression", "technique", "procedure", "findings", "finding", "history",
        "summary", "report", "exam",
    ].sorted { $0.count > $1.count }

    /// Splits plain text at its headings ("FINDINGS:", "impression:"), case-insensitively.
    ///
    /// Text before the first heading becomes a section named nil (dropped when blank). Section
    /// names are upper-cased headings. Text without any heading is one unnamed section.
    public static func split(_ text: String) -> [ReportSection] {
        guard text.utf8.contains(58) else { return [ReportSection(name: nil, text: text)] } // no ':'
        var copy = text
        return copy.withUTF8 { split(bytes: $0) } ?? [ReportSection(name: nil, text: text)]
    }

    private static let headingBytes: [(bytes: [UInt8], name: String)] = knownHeadings.map { (Array($0.utf8), $0.uppercased()) }

    /// The byte-level work of `split(_:)`; nil when the text has no heading. Headings are ASCII,
    /// so comparing bytes (ASCII letters folded to lower case) is exact.
    private static func split(bytes: UnsafeBufferPointer<UInt8>) -> [ReportSection]? {
        var cuts: [(headingStart: Int, bodyStart: Int, name: String)] = []
        for c in 0..<bytes.count where bytes[c] == 58 {
            var end = c
            while end > 0, bytes[end - 1] == 32 { end -= 1 }
            for heading in headingBytes {
                let start = end - heading.bytes.count
                guard start >= 0, start >= (cuts.last?.bodyStart ?? 0) else { continue }
                var same = true
                for k in 0..<heading.bytes.count {
                    let b = bytes[start + k]
                    if (b >= 65 && b <= 90 ? b | 0x20 : b) != heading.bytes[k] { same = false; break }
                }
                guard same else { continue }
                if start > 0 {
                    let before = bytes[start - 1]
                    if (before | 0x20) >= 97 && (before | 0x20) <= 122 || before >= 0x80 { continue }
                }
                cuts.append((start, c + 1, heading.name))
                break
            }
        }
        guard !cuts.isEmpty else { return nil }
        func slice(_ range: Range<Int>) -> String {
            var lower = range.lowerBound
            var upper = range.upperBound
            func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 || b == 12 || b == 11 }
            while lower < upper, isSpace(bytes[lower]) { lower += 1 }
            while upper > lower, isSpace(bytes[upper - 1]) { upper -= 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[lower..<upper]), as: UTF8.self)
        }
        var sections: [ReportSection] = []
        let preamble = slice(0..<cuts[0].headingStart)
        if !preamble.isEmpty { sections.append(ReportSection(name: nil, text: preamble)) }
        for (k, cut) in cuts.enumerated() {
            let end = k + 1 < cuts.count ? cuts[k + 1].headingStart : bytes.count
            sections.append(ReportSection(name: cut.name, text: slice(cut.bodyStart..<end)))
        }
        return sections
    }
}

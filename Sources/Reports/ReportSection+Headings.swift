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
        let scalars = Array(text.unicodeScalars)
        var cuts: [(headingStart: Int, bodyStart: Int, name: String)] = []
        for (c, scalar) in scalars.enumerated() where scalar == ":" {
            // The words right before the colon (spaces allowed between heading and colon).
            var end = c
            while end > 0, scalars[end - 1] == " " { end -= 1 }
            for heading in knownHeadings {
                let start = end - heading.unicodeScalars.count
                guard start >= 0, start >= (cuts.last?.bodyStart ?? 0) else { continue }
                var same = true
                for (k, h) in heading.unicodeScalars.enumerated() {
                    let s = scalars[start + k]
                    let lowered = s.value >= 65 && s.value <= 90 ? s.value | 0x20 : s.value
                    if lowered != h.value { same = false; break }
                }
                guard same else { continue }
                if start > 0, scalars[start - 1].properties.isAlphabetic { continue }
                cuts.append((start, c + 1, heading.uppercased()))
                break
            }
        }
        guard !cuts.isEmpty else { return [ReportSection(name: nil, text: text)] }
        func slice(_ range: Range<Int>) -> String {
            var s = String.UnicodeScalarView()
            s.append(contentsOf: scalars[range])
            return String(s).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var sections: [ReportSection] = []
        let preamble = slice(0..<cuts[0].headingStart)
        if !preamble.isEmpty { sections.append(ReportSection(name: nil, text: preamble)) }
        for (k, cut) in cuts.enumerated() {
            let end = k + 1 < cuts.count ? cuts[k + 1].headingStart : scalars.count
            sections.append(ReportSection(name: cut.name, text: slice(cut.bodyStart..<end)))
        }
        return sections
    }
}

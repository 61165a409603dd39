import Foundation
import Reports
import Store

/// A stored report with every mention the labeller finds in it, placed in its section's text
/// so that the page can highlight it: the labeller runs again on the stored sections (it is
/// deterministic and fast), which gives the rule that decided each mention — the evidence
/// `thorax label --format jsonl` writes.
struct ReportMentions: Sendable {
    let labeler: ReportLabeler

    func annotated(_ stored: StoredReport) -> AnnotatedReportMessage {
        let report = Report(id: stored.identifier,
                            sections: stored.sections.map { ReportSection(name: $0.name.isEmpty ? nil : $0.name, text: $0.text) },
                            source: ReportSource(path: "report \(stored.id)"))
        let labels = labeler.label(report)
        var sections = stored.sections.map { AnnotatedReportMessage.Section(name: $0.name, text: $0.text, mentions: []) }
        // Where the next sentence is searched from in each section: mentions come in reading
        // order, so a sentence written twice is matched at its own occurrence.
        var cursors = sections.map { $0.text.startIndex }
        var lastSentence: [Int: (sentence: String, range: Range<String.Index>)] = [:]
        for mention in labels.mentions {
            let candidates = sections.indices.filter { sections[$0].name == (mention.section ?? "") }
                + sections.indices.filter { sections[$0].name != (mention.section ?? "") }
            for index in candidates {
                let text = sections[index].text
                let sentenceRange: Range<String.Index>
                if let last = lastSentence[index], last.sentence == mention.sentence {
                    sentenceRange = last.range
                } else if let found = text.range(of: mention.sentence, range: cursors[index]..<text.endIndex) {
                    sentenceRange = found
                } else {
                    continue
                }
                lastSentence[index] = (mention.sentence, sentenceRange)
                cursors[index] = sentenceRange.upperBound
                let scalars = text.unicodeScalars
                let sentenceStart = scalars.distance(from: scalars.startIndex, to: sentenceRange.lowerBound)
                guard let start = scalars.index(scalars.startIndex, offsetBy: sentenceStart + mention.span.lowerBound,
                                                limitedBy: scalars.endIndex),
                      let end = scalars.index(scalars.startIndex, offsetBy: sentenceStart + mention.span.upperBound,
                                              limitedBy: scalars.endIndex) else { continue }
                // JavaScript strings index UTF-16 code units.
                sections[index].mentions.append(AnnotatedReportMessage.Mention(
                    start: text.utf16.distance(from: text.startIndex, to: start),
                    end: text.utf16.distance(from: text.startIndex, to: end),
                    finding: mention.finding.rawValue, status: mention.status.name, rule: mention.rule, text: mention.text))
                break
            }
        }
        let values = Finding.allCases.compactMap { finding in
            labels[finding].map { AnnotatedReportMessage.Label(className: finding.rawValue, status: $0.name) }
        }
        return AnnotatedReportMessage(id: stored.id, source: stored.source, identifier: stored.identifier,
                                      sections: sections, labels: values, noFinding: labels.noFinding)
    }
}

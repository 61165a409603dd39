import Foundation

/// Labels reports with the 14 findings: finds mentions from the vocabulary, then classes each as
/// positive, negated or uncertain from the rules (NegEx-style triggers with scope).
///
/// A labeller is an immutable value: share it between threads freely.
public struct ReportLabeler: Sendable {
    /// Which sections of a report are read.
    public enum SectionChoice: String, Sendable, CaseIterable {
        /// FINDINGS and IMPRESSION (and their variants) when present, else the whole report.
        case findingsAndImpression = "findings-impression"
        /// Every section.
        case all
    }

    let lexicon: Lexicon
    public var sections: SectionChoice

    /// A labeller from the bundled vocabulary and rules, or from user files that replace them.
    ///
    /// - Throws: `LexiconError` naming the file and line of a malformed entry; a Foundation error
    ///   when a file cannot be read.
    public init(vocabulary: URL? = nil, rules: URL? = nil, sections: SectionChoice = .findingsAndImpression) throws {
        func load(_ user: URL?, bundled name: String) throws -> (name: String, text: String) {
            if let user {
                return (user.path, try String(contentsOf: user, encoding: .utf8))
            }
            guard let url = Bundle.module.url(forResource: name, withExtension: "txt", subdirectory: "Resources") else {
                throw LexiconError(file: "\(name).txt", line: 0, message: "bundled file missing from the Reports resources")
            }
            return ("Resources/\(name).txt", try String(contentsOf: url, encoding: .utf8))
        }
        try self.init(files: [load(vocabulary, bundled: "vocabulary"), load(rules, bundled: "rules")], sections: sections)
    }

    /// A labeller from vocabulary and rules given as text (name, contents), e.g. for tests.
    public init(files: [(name: String, text: String)], sections: SectionChoice = .findingsAndImpression) throws {
        self.lexicon = try Lexicon(files: files)
        self.sections = sections
    }

    /// The section names read by `.findingsAndImpression`.
    static let findingSectionNames: Set<String> = ["FINDINGS", "FINDING", "IMPRESSION", "IMPRESSIONS", "CONCLUSION", "CONCLUSIONS"]

    /// The sections of `report` that are read under `sections` (headings are found by the
    /// readers and by `Report(id:text:)`; an unnamed section is taken as it is).
    public func selectedSections(of report: Report) -> [ReportSection] {
        let split = report.sections
        guard sections == .findingsAndImpression else { return split }
        let chosen = split.filter { $0.name.map(Self.findingSectionNames.contains) ?? false }
        let hasHeadings = split.contains { $0.name.map(Self.findingSectionNames.contains) ?? false }
        return hasHeadings ? chosen : split
    }

    /// Labels one report. Never fails: a report without mentions gets no values and No Finding.
    public func label(_ report: Report) -> ReportLabels {
        var workspace = Workspace()
        return label(report, workspace: &workspace)
    }

    /// Scratch buffers reused across reports by `label(_:workspace:)`, so that a loop over many
    /// reports allocates almost nothing per report.
    public struct Workspace {
        var lowered: [UInt8] = []
        var tokens: [Token] = []
        var sentences: [Sentence] = []
        var triggers: [TriggerMatch] = []
        var candidates: [MentionMatch] = []
        var exclusions: [Range<Int>] = []
        public init() {}
    }

    /// Labels one report using the caller's scratch buffers.
    public func label(_ report: Report, workspace: inout Workspace) -> ReportLabels {
        var values = [LabelValue?](repeating: nil, count: Finding.allCases.count)
        var mentions: [Mention] = []
        let tokenizer = Tokenizer(lexicon: lexicon)
        for section in selectedSections(of: report) {
            var text = section.text
            text.withUTF8 { bytes in
                tokenizer.tokenize(bytes, lowered: &workspace.lowered, tokens: &workspace.tokens,
                                   sentences: &workspace.sentences)
                for sentence in workspace.sentences {
                    labelSentence(sentence, bytes: bytes, section: section.name, workspace: &workspace,
                                  values: &values, mentions: &mentions)
                }
            }
        }
        return ReportLabels(id: report.id, values: values, mentions: mentions)
    }

    struct TriggerMatch {
        var start: Int
        var end: Int
        var kind: TriggerKind
        var phrase: Int32
    }

    struct MentionMatch {
        var start: Int
        var end: Int
        var finding: Finding
        var phrase: Int32
    }

    /// Finds the mentions of one sentence and decides their status.
    private func labelSentence(_ sentence: Sentence, bytes: UnsafeBufferPointer<UInt8>, section: String?,
                               workspace: inout Workspace, values: inout [LabelValue?], mentions: inout [Mention]) {
        let tokens = workspace.tokens
        let range = sentence.tokens
        // Mentions and exclusions first: most sentences have no mention and stop here.
        workspace.candidates.removeAll(keepingCapacity: true)
        workspace.exclusions.removeAll(keepingCapacity: true)
        let startsMention = lexicon.startsMention
        for i in range {
            let word = tokens[i].word
            guard word >= 0, Int(word) < startsMention.count, startsMention[Int(word)] else { continue }
            for p in lexicon.mentionsByFirstWord[Int(word)] {
                let phrase = lexicon.phrases[Int(p)]
                guard let end = match(phrase.elements, tokens: tokens, from: i, limit: range.upperBound) else { continue }
                switch phrase.role {
                case .mention(let finding):
                    workspace.candidates.append(MentionMatch(start: i, end: end, finding: finding, phrase: p))
                case .exclusion:
                    workspace.exclusions.append(i..<end)
                case .trigger:
                    break
                }
            }
        }
        guard !workspace.candidates.isEmpty else { return }

        // Triggers: the longest phrase at each position; a match consumes its words.
        workspace.triggers.removeAll(keepingCapacity: true)
        var i = range.lowerBound
        while i < range.upperBound {
            let word = tokens[i].word
            var next = i + 1
            if word >= 0, Int(word) < lexicon.triggersByFirstWord.count {
                for p in lexicon.triggersByFirstWord[Int(word)] {
                    let phrase = lexicon.phrases[Int(p)]
                    if let end = match(phrase.elements, tokens: tokens, from: i, limit: range.upperBound),
                       case .trigger(let kind) = phrase.role {
                        workspace.triggers.append(TriggerMatch(start: i, end: end, kind: kind, phrase: p))
                        next = end
                        break
                    }
                }
            }
            i = next
        }

        var accepted: [MentionMatch] = []
        for candidate in workspace.candidates {
            if workspace.exclusions.contains(where: { $0.overlaps(candidate.start..<candidate.end) }) { continue }
            // Keep the longest of overlapping mentions of one finding.
            if let k = accepted.firstIndex(where: { $0.finding == candidate.finding
                && ($0.start..<$0.end).overlaps(candidate.start..<candidate.end) }) {
                if candidate.end - candidate.start > accepted[k].end - accepted[k].start { accepted[k] = candidate }
                continue
            }
            accepted.append(candidate)
        }
        accepted.sort { $0.start < $1.start }

        let sentenceText = String(decoding: UnsafeBufferPointer(rebasing: bytes[sentence.bytes]), as: UTF8.self)
        for mention in accepted {
            let (status, rule) = decide(mention, triggers: workspace.triggers, tokens: tokens)
            let startByte = Int(tokens[mention.start].start)
            let endByte = Int(tokens[mention.end - 1].end)
            let spanStart = scalarCount(bytes, sentence.bytes.lowerBound..<startByte)
            let spanEnd = spanStart + scalarCount(bytes, startByte..<endByte)
            mentions.append(Mention(
                finding: mention.finding, status: status, section: section, sentence: sentenceText,
                span: spanStart..<spanEnd,
                text: String(decoding: UnsafeBufferPointer(rebasing: bytes[startByte..<endByte]), as: UTF8.self),
                rule: rule))
            let index = mention.finding.index
            values[index] = Self.combine(values[index], status)
        }
    }

    /// Positive beats uncertain beats negative (the report-level rule).
    static func combine(_ current: LabelValue?, _ new: LabelValue) -> LabelValue {
        guard let current else { return new }
        func rank(_ v: LabelValue) -> Int { v == .positive ? 2 : v == .uncertain ? 1 : 0 }
        return rank(new) > rank(current) ? new : current
    }

    /// The number of Unicode scalars in `bytes[range]` (UTF-8 lead bytes).
    private func scalarCount(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        var count = 0
        for i in range where bytes[i] & 0xC0 != 0x80 { count += 1 }
        return count
    }

    /// The status of a mention and the rule that decided it.
    ///
    /// A negation or uncertainty trigger inside the mention ("heart is *not* enlarged") decides
    /// first. Otherwise the nearest trigger before the mention (whose scope reaches it: no
    /// terminator between, at most `scopeBefore` words away) and the nearest after it (at most
    /// `scopeAfter` words) compete; the nearer wins, the one before on a tie.
    private func decide(_ mention: MentionMatch, triggers: [TriggerMatch], tokens: [Token]) -> (LabelValue, String) {
        let phraseText = lexicon.phrases[Int(mention.phrase)].text
        let negation: TriggerKind = [.negationBefore, .negationAfter]
        let uncertainty: TriggerKind = [.uncertaintyBefore, .uncertaintyAfter]
        for trigger in triggers where trigger.start >= mention.start && trigger.end <= mention.end {
            if !trigger.kind.isDisjoint(with: negation) { return (.negative, describe("negation-inside", trigger)) }
            if !trigger.kind.isDisjoint(with: uncertainty) { return (.uncertain, describe("uncertainty-inside", trigger)) }
        }
        var before: (distance: Int, trigger: TriggerMatch)?
        for trigger in triggers.reversed() where trigger.end <= mention.start {
            if trigger.kind.contains(.terminator) { break }
            guard !trigger.kind.isDisjoint(with: [.negationBefore, .uncertaintyBefore]) else { continue }
            let distance = wordCount(tokens, trigger.end..<mention.start)
            if distance <= lexicon.scopeBefore { before = (distance, trigger) }
            break
        }
        var after: (distance: Int, trigger: TriggerMatch)?
        for trigger in triggers where trigger.start >= mention.end {
            if trigger.kind.contains(.terminator) { break }
            guard !trigger.kind.isDisjoint(with: [.negationAfter, .uncertaintyAfter]) else { continue }
            let distance = wordCount(tokens, mention.end..<trigger.start)
            if distance <= lexicon.scopeAfter { after = (distance, trigger) }
            break
        }
        if let b = before, after.map({ b.distance <= $0.distance }) ?? true {
            return b.trigger.kind.contains(.uncertaintyBefore)
                ? (.uncertain, describe("uncertainty-before", b.trigger))
                : (.negative, describe("negation-before", b.trigger))
        }
        if let a = after {
            return a.trigger.kind.contains(.uncertaintyAfter)
                ? (.uncertain, describe("uncertainty-after", a.trigger))
                : (.negative, describe("negation-after", a.trigger))
        }
        return (.positive, "positive: \(phraseText)")
    }

    private func describe(_ kind: String, _ trigger: TriggerMatch) -> String {
        "\(kind): \(lexicon.phrases[Int(trigger.phrase)].text)"
    }

    private func wordCount(_ tokens: [Token], _ range: Range<Int>) -> Int {
        var count = 0
        for i in range where !tokens[i].isPunctuation { count += 1 }
        return count
    }

    /// The end (exclusive token index) of `elements` matched at `start`, or nil.
    /// Gaps match as few words as possible and never cross punctuation.
    private func match(_ elements: [PhraseElement], tokens: [Token], from start: Int, limit: Int) -> Int? {
        elements.withUnsafeBufferPointer { e in
            tokens.withUnsafeBufferPointer { t in
                Self.match(e, 0, t, start, limit)
            }
        }
    }

    private static func match(_ elements: UnsafeBufferPointer<PhraseElement>, _ e: Int,
                              _ tokens: UnsafeBufferPointer<Token>, _ i: Int, _ limit: Int) -> Int? {
        var e = e
        var i = i
        while e < elements.count {
            let element = elements[e]
            if element >= 0 {
                guard i < limit, tokens[i].word == element else { return nil }
                e += 1
                i += 1
                continue
            }
            // A gap: try the rest of the phrase after 0, 1, … up to n skipped words.
            let n = Int(-element)
            var skipped = 0
            while true {
                if let end = match(elements, e + 1, tokens, i, limit) { return end }
                guard skipped < n, i < limit, !tokens[i].isPunctuation else { return nil }
                i += 1
                skipped += 1
            }
        }
        return i
    }
}

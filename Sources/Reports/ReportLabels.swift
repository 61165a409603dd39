/// A label value, for a finding in a report or for one mention of it.
///
/// The raw values are the CSV's: 1 positive, 0 negative, −1 uncertain. A finding that a report
/// never mentions has no value (nil, an empty CSV cell).
public enum LabelValue: Int, Sendable, Codable, Hashable {
    case positive = 1
    case negative = 0
    case uncertain = -1

    /// "positive", "negative" or "uncertain", as written in JSON lines.
    public var name: String {
        switch self {
        case .positive: return "positive"
        case .negative: return "negative"
        case .uncertain: return "uncertain"
        }
    }
}

/// One mention of a finding in a report, with the evidence that decided its status.
public struct Mention: Sendable, Equatable {
    public var finding: Finding
    public var status: LabelValue
    /// The section the sentence stands in ("FINDINGS", "IMPRESSION"), nil when unnamed.
    public var section: String?
    /// The sentence as written in the report (original casing, whitespace kept).
    public var sentence: String
    /// The mention's position in `sentence`, in Unicode scalars (code points) from its start.
    public var span: Range<Int>
    /// The words that matched, as written in the report.
    public var text: String
    /// The rule that decided the status: `positive: <phrase>` when no trigger applied, else
    /// `<trigger kind>: <trigger phrase>` (e.g. `negation-before: no evidence of`).
    public var rule: String

    public init(finding: Finding, status: LabelValue, section: String?, sentence: String,
                span: Range<Int>, text: String, rule: String) {
        self.finding = finding
        self.status = status
        self.section = section
        self.sentence = sentence
        self.span = span
        self.text = text
        self.rule = rule
    }
}

/// The labels of one report: a value per finding, No Finding, and the mentions behind them.
public struct ReportLabels: Sendable, Equatable {
    public var id: String
    /// One entry per finding in `Finding.allCases` order: 1 if any mention is positive, else −1
    /// if any is uncertain, else 0 if any is negative, else nil (not mentioned).
    public var values: [LabelValue?]
    /// The mentions in reading order.
    public var mentions: [Mention]

    public init(id: String, values: [LabelValue?], mentions: [Mention]) {
        precondition(values.count == Finding.allCases.count, "one value per finding")
        self.id = id
        self.values = values
        self.mentions = mentions
    }

    public subscript(finding: Finding) -> LabelValue? { values[finding.index] }

    /// True when no finding is positive or uncertain (the paper's "No Finding").
    public var noFinding: Bool {
        !values.contains { $0 == .positive || $0 == .uncertain }
    }

    /// The findings whose value is positive, in `Finding.allCases` order.
    public var positiveFindings: [Finding] {
        Finding.allCases.filter { values[$0.index] == .positive }
    }
}

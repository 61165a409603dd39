import Foundation

extension LabelEvaluation {
    /// A fixed-width text table: one line per class, then the micro and macro averages over the
    /// 14 classes and the paper's 8, No Finding, and the report counts. "n/a" marks undefined
    /// values (no predicted or no gold positives).
    public func table() -> String {
        func number(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "n/a" }
        func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        func line(_ name: String, _ s: Score) -> String {
            name.padding(toLength: 22, withPad: " ", startingAt: 0)
                + pad(String(s.truePositives + s.falseNegatives), 6) + pad(String(s.truePositives + s.falsePositives), 6)
                + pad(String(s.truePositives), 6) + pad(String(s.falsePositives), 6) + pad(String(s.falseNegatives), 6)
                + pad(number(s.precision), 11) + pad(number(s.recall), 8) + pad(number(s.f1), 8)
        }
        var lines = ["class".padding(toLength: 22, withPad: " ", startingAt: 0)
            + pad("gold", 6) + pad("pred", 6) + pad("TP", 6) + pad("FP", 6) + pad("FN", 6)
            + pad("precision", 11) + pad("recall", 8) + pad("F1", 8)]
        for finding in Finding.allCases { lines.append(line(finding.rawValue, classes[finding.rawValue]!)) }
        lines.append(line("micro (14 classes)", micro14))
        lines.append(line("macro (14 classes)", macro14))
        lines.append(line("micro (paper's 8)", micro8))
        lines.append(line("macro (paper's 8)", macro8))
        if let noFinding { lines.append(line("No Finding (normal)", noFinding)) }
        lines.append("reports scored: \(reports); gold reports without a prediction: \(missingPredictions); predictions not in gold: \(unmatchedPredictions)")
        return lines.joined(separator: "\n")
    }
}

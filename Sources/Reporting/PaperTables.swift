import Evaluation
import Foundation

/// The classification benchmark as the paper's AUC table (its Table 2: a row per model, a
/// column per class), JSON-ready.
///
/// An undefined AUC is JSON `null` with `aucUndefinedReason` saying why, and the text
/// "undefined"; it never appears as a number.
public struct ClassificationTable: Equatable, Sendable, Codable {
    public struct Row: Equatable, Sendable, Codable {
        public var className: String
        public var auc: Double?
        public var aucUndefinedReason: String?
        public var lower: Double?
        public var upper: Double?
        public var positives: Int
        public var negatives: Int

        private enum CodingKeys: String, CodingKey {
            case className, auc, aucUndefinedReason, lower, upper, positives, negatives
        }

        public init(className: String, auc: Double?, aucUndefinedReason: String?, lower: Double?,
                    upper: Double?, positives: Int, negatives: Int) {
            self.className = className
            self.auc = auc
            self.aucUndefinedReason = aucUndefinedReason
            self.lower = lower
            self.upper = upper
            self.positives = positives
            self.negatives = negatives
        }

        /// Every key is written; missing values are explicit nulls.
        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(className, forKey: .className)
            try container.encode(auc, forKey: .auc)
            try container.encode(aucUndefinedReason, forKey: .aucUndefinedReason)
            try container.encode(lower, forKey: .lower)
            try container.encode(upper, forKey: .upper)
            try container.encode(positives, forKey: .positives)
            try container.encode(negatives, forKey: .negatives)
        }
    }

    /// The model's name, the table's row label (e.g. "ResNet-50").
    public var model: String
    public var imageCount: Int
    public var rows: [Row]
    public var meanAUC: Double?
    public var meanLower: Double?
    public var meanUpper: Double?
    /// Classes with a defined AUC, which the mean averages.
    public var meanClassCount: Int
    public var confidence: Double
    public var resamples: Int
    public var seed: UInt64

    public init(model: String, evaluation: ClassificationEvaluation) {
        self.model = model
        imageCount = evaluation.imageCount
        rows = evaluation.classes.map {
            Row(className: $0.className, auc: $0.auc.value, aucUndefinedReason: $0.auc.undefinedReason?.rawValue,
                lower: $0.interval?.lower, upper: $0.interval?.upper,
                positives: $0.positives, negatives: $0.negatives)
        }
        meanAUC = evaluation.meanAUC
        meanLower = evaluation.meanInterval?.lower
        meanUpper = evaluation.meanInterval?.upper
        meanClassCount = evaluation.meanClassCount
        confidence = evaluation.bootstrap.confidence
        resamples = evaluation.bootstrap.resamples
        seed = evaluation.bootstrap.seed
    }

    /// The paper's layout: a header of class names and one row for this model, AUCs to four
    /// places, "undefined" where a class has no AUC, and the mean last.
    public var paperLayoutText: String {
        Self.paperLayoutText([self])
    }

    /// The paper's layout for several models (e.g. ImageNet start against training from
    /// scratch): one row per table, columns from the first table's classes.
    ///
    /// - Precondition: every table has the same classes in the same order.
    public static func paperLayoutText(_ tables: [ClassificationTable]) -> String {
        let classNames = tables.first?.rows.map(\.className) ?? []
        precondition(tables.allSatisfy { $0.rows.map(\.className) == classNames },
                     "tables to compare must have the same classes in the same order")
        let header = ["Model"] + classNames + ["Mean"]
        let lines = tables.map { table in
            [table.model] + table.rows.map { TableText.number($0.auc) } + [TableText.number(table.meanAUC)]
        }
        return TableText.render([header] + lines)
    }

    /// One line per class: AUC, its interval, positives and negatives; then the mean.
    public var detailText: String {
        let percent = TableText.trimmed(confidence * 100)
        var lines: [[String]] = [["Class", "AUC", "\(percent)% interval", "Positives", "Negatives"]]
        for row in rows {
            let auc = row.auc.map { TableText.number($0) } ?? "undefined (\(row.aucUndefinedReason ?? ""))"
            lines.append([row.className, auc, TableText.interval(row.lower, row.upper),
                          String(row.positives), String(row.negatives)])
        }
        lines.append(["Mean of \(meanClassCount)", TableText.number(meanAUC),
                      TableText.interval(meanLower, meanUpper), "", ""])
        let caption = "ROC AUC on \(imageCount) images; intervals: percentile bootstrap over images, "
            + "\(resamples) resamples, seed \(seed)\n"
        return caption + TableText.render(lines)
    }
}

extension LocalizationTable {
    /// The paper's layout, numbers to four places, "undefined" for a class with no box.
    public var text: String {
        var lines: [[String]] = [["Threshold", ""] + classNames]
        for row in rows {
            let label = "T(\(row.threshold.criterion.rawValue)) = \(TableText.trimmed(row.threshold.value))"
            lines.append([label, "Acc."] + row.classes.map { TableText.number($0.accuracy) })
            lines.append(["", "AFP"] + row.classes.map { TableText.number($0.averageFalsePositives) })
        }
        let counts = rows.first.map { row in
            row.classes.map { "\($0.className) \($0.truthBoxes)" }.joined(separator: ", ")
        } ?? ""
        let caption = "Localization\(model.isEmpty ? "" : " of \(model)"); truth boxes: \(counts)\n"
        return caption + TableText.render(lines)
    }
}

/// Plain-text table rendering shared by the tables and the commands' text outputs.
public enum TableText {
    /// Four decimal places, as the paper prints; "undefined" for nil.
    public static func number(_ value: Double?) -> String {
        value.map { String(format: "%.4f", $0) } ?? "undefined"
    }

    public static func interval(_ lower: Double?, _ upper: Double?) -> String {
        guard let lower, let upper else { return "undefined" }
        return String(format: "[%.4f, %.4f]", lower, upper)
    }

    /// A threshold as the paper writes it: 0.1, 0.25, 95.
    public static func trimmed(_ value: Double) -> String {
        var text = String(format: "%.4f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// Left-aligned columns separated by two spaces, no trailing spaces, newline-terminated.
    public static func render(_ lines: [[String]]) -> String {
        let columnCount = lines.map(\.count).max() ?? 0
        let widths = (0..<columnCount).map { column in
            lines.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
        }
        return lines.map { cells in
            var line = ""
            for (column, cell) in cells.enumerated() {
                line += column == cells.count - 1 ? cell : cell.padding(toLength: widths[column] + 2, withPad: " ", startingAt: 0)
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }.joined(separator: "\n") + "\n"
    }
}

import Foundation

/// Precision, recall and F1 of predicted labels against a gold standard.
///
/// Gold: a CSV with an id column (`filename` or `id`) and 0/1 columns named after the findings,
/// plus `normal` (compared with the prediction's `No Finding`) — the format of OpenI's
/// `gold.csv`. Prediction: the labeller's CSV. Only a value of `1` counts as positive, on both
/// sides; uncertain (−1), negative and blank are all "not positive". Reports are matched by id;
/// every gold report is scored (a gold report without a prediction row counts as all blank).
public struct LabelEvaluation: Sendable, Codable, Equatable {
    /// Counts and scores for one class or one average.
    public struct Score: Sendable, Codable, Equatable {
        public var truePositives: Int
        public var falsePositives: Int
        public var falseNegatives: Int
        /// nil when nothing was predicted positive (precision) / nothing is positive in the gold
        /// standard (recall) / either is undefined (F1).
        public var precision: Double?
        public var recall: Double?
        public var f1: Double?

        init(truePositives: Int, falsePositives: Int, falseNegatives: Int) {
            self.truePositives = truePositives
            self.falsePositives = falsePositives
            self.falseNegatives = falseNegatives
            let predicted = truePositives + falsePositives
            let actual = truePositives + falseNegatives
            precision = predicted > 0 ? Double(truePositives) / Double(predicted) : nil
            recall = actual > 0 ? Double(truePositives) / Double(actual) : nil
            if let p = precision, let r = recall {
                f1 = p + r > 0 ? 2 * p * r / (p + r) : 0
            }
        }

        /// A macro average: the mean of the defined per-class values.
        init(macroOf scores: [Score]) {
            truePositives = scores.reduce(0) { $0 + $1.truePositives }
            falsePositives = scores.reduce(0) { $0 + $1.falsePositives }
            falseNegatives = scores.reduce(0) { $0 + $1.falseNegatives }
            func mean(_ values: [Double?]) -> Double? {
                let defined = values.compactMap { $0 }
                return defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
            }
            precision = mean(scores.map(\.precision))
            recall = mean(scores.map(\.recall))
            f1 = mean(scores.map(\.f1))
        }

        /// Micro average: scores of the summed counts.
        init(microOf scores: [Score]) {
            self.init(truePositives: scores.reduce(0) { $0 + $1.truePositives },
                      falsePositives: scores.reduce(0) { $0 + $1.falsePositives },
                      falseNegatives: scores.reduce(0) { $0 + $1.falseNegatives })
        }
    }

    /// Per finding, in `Finding.allCases` order (keys are the finding names).
    public var classes: [String: Score]
    public var micro14: Score
    public var macro14: Score
    public var micro8: Score
    public var macro8: Score
    /// The prediction's No Finding against the gold `normal` column (absent when gold has none).
    public var noFinding: Score?
    /// Gold reports scored.
    public var reports: Int
    /// Gold reports that had no prediction row (scored as all blank).
    public var missingPredictions: Int
    /// Prediction rows whose id is not in the gold standard (not scored).
    public var unmatchedPredictions: Int

    /// An evaluation error naming the file and row.
    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Reads both files and scores the prediction.
    public static func evaluate(gold: URL, predicted: URL) throws -> LabelEvaluation {
        let goldTable = try readTable(gold, idColumns: ["filename", "id"], allowNormal: true)
        let predTable = try readTable(predicted, idColumns: ["id"], allowNormal: false)
        var counts = Array(repeating: (tp: 0, fp: 0, fn: 0), count: Finding.allCases.count)
        var normalCounts = (tp: 0, fp: 0, fn: 0)
        var missing = 0
        for (id, goldRow) in goldTable.rows {
            let predRow = predTable.rows[id]
            if predRow == nil { missing += 1 }
            for finding in Finding.allCases {
                let g = goldRow.findings[finding.index] == 1
                let p = predRow?.findings[finding.index] == 1
                if g && p { counts[finding.index].tp += 1 } else if p { counts[finding.index].fp += 1 } else if g { counts[finding.index].fn += 1 }
            }
            if let g = goldRow.normal {
                let p = predRow?.normal == 1
                if g == 1 && p { normalCounts.tp += 1 } else if p { normalCounts.fp += 1 } else if g == 1 { normalCounts.fn += 1 }
            }
        }
        let scores = counts.map { Score(truePositives: $0.tp, falsePositives: $0.fp, falseNegatives: $0.fn) }
        let eight = Finding.paperEight.map { scores[$0.index] }
        return LabelEvaluation(
            classes: Dictionary(uniqueKeysWithValues: Finding.allCases.map { ($0.rawValue, scores[$0.index]) }),
            micro14: Score(microOf: scores), macro14: Score(macroOf: scores),
            micro8: Score(microOf: eight), macro8: Score(macroOf: eight),
            noFinding: goldTable.hasNormal ? Score(truePositives: normalCounts.tp, falsePositives: normalCounts.fp,
                                                   falseNegatives: normalCounts.fn) : nil,
            reports: goldTable.rows.count, missingPredictions: missing,
            unmatchedPredictions: predTable.rows.keys.filter { goldTable.rows[$0] == nil }.count)
    }

    struct Row {
        var findings: [Int?]
        var normal: Int?
    }

    struct Table {
        var rows: [String: Row]
        var hasNormal: Bool
    }

    /// Reads a label CSV: an id column, one column per finding (all 14 required), optionally
    /// `normal` (gold) or `No Finding` (prediction). Cells are 1, 0, -1 (also 1.0, 0.0, -1.0) or empty.
    static func readTable(_ url: URL, idColumns: [String], allowNormal: Bool) throws -> Table {
        let reader: CSVRowReader
        do { reader = try CSVRowReader(url: url) } catch {
            throw Failure(message: "\(url.relativePath): cannot read file: \(error.localizedDescription)")
        }
        func row() throws -> CSVRowReader.Row? {
            switch try reader.next() {
            case nil: return nil
            case .failure(let e): throw Failure(message: "\(url.relativePath):\(e.line): \(e.message)")
            case .success(let r): return r
            }
        }
        guard let header = try row() else { throw Failure(message: "\(url.relativePath): empty file") }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        guard let idColumn = names.firstIndex(where: { idColumns.contains($0.lowercased()) }) else {
            throw Failure(message: "\(url.relativePath):\(header.line): no id column (expected one of: \(idColumns.joined(separator: ", ")))")
        }
        var findingColumns: [Int] = []
        for finding in Finding.allCases {
            guard let c = names.firstIndex(where: { Finding(name: $0) == finding }) else {
                throw Failure(message: "\(url.relativePath):\(header.line): no column for \(finding.rawValue)")
            }
            findingColumns.append(c)
        }
        let normalColumn = names.firstIndex { allowNormal ? $0.lowercased() == "normal" : $0 == Finding.noFindingName }
        var rows: [String: Row] = [:]
        func cell(_ text: String, _ r: CSVRowReader.Row, _ column: Int) throws -> Int? {
            let t = text.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { return nil }
            guard let v = Double(t), [1, 0, -1].contains(v) else {
                throw Failure(message: "\(url.relativePath):\(r.line): column '\(names[column])' has '\(t)', expected 1, 0, -1 or empty")
            }
            return Int(v)
        }
        while let r = try row() {
            guard r.fields.count == names.count else {
                throw Failure(message: "\(url.relativePath):\(r.line): row has \(r.fields.count) fields, the header has \(names.count)")
            }
            let id = r.fields[idColumn].trimmingCharacters(in: .whitespaces)
            guard rows[id] == nil else { throw Failure(message: "\(url.relativePath):\(r.line): id '\(id)' appears twice") }
            rows[id] = Row(findings: try findingColumns.map { try cell(r.fields[$0], r, $0) },
                           normal: try normalColumn.flatMap { try cell(r.fields[$0], r, $0) })
        }
        return Table(rows: rows, hasNormal: normalColumn != nil)
    }
}

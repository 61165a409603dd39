import Foundation

/// The receiver operating characteristic of one class: false and true positive rates at each
/// decision threshold, with the same points as scikit-learn's `roc_curve`.
///
/// Points are ordered by decreasing threshold. The first point is (0, 0) at threshold +∞; the
/// last is (1, 1) at the smallest score. With `dropIntermediate` (scikit-learn's default),
/// points that lie on a straight line between their neighbours are removed: they change neither
/// the plot nor the area.
public struct ROCCurve: Equatable, Sendable, Codable {
    /// False positive rate at each point, non-decreasing from 0 to 1.
    public var falsePositiveRates: [Double]
    /// True positive rate at each point, non-decreasing from 0 to 1.
    public var truePositiveRates: [Double]
    /// The score threshold of each point (an image is called positive when score ≥ threshold);
    /// the first is +∞. JSON encodes +∞ as the largest finite Double to stay valid JSON.
    public var thresholds: [Double]

    /// Builds the curve of one class.
    ///
    /// - Parameters:
    ///   - scores: (N) one score per image.
    ///   - labels: (N) whether each image is positive.
    ///   - dropIntermediate: drop collinear points, as scikit-learn does by default.
    /// - Returns: nil when the curve does not exist (no images, no positives or no negatives —
    ///   scikit-learn fills the rates with NaN there); `undefinedReason` says which.
    /// - Throws: `EvaluationError.lengthMismatch`, `EvaluationError.nonFiniteScore`.
    public init?(scores: [Double], labels: [Bool], dropIntermediate: Bool = true) throws {
        guard try Self.undefinedReason(scores: scores, labels: labels) == nil else { return nil }
        // Sort by decreasing score; ties keep input order (it does not matter: tied scores are
        // one threshold). Cumulative counts are taken at the last index of each distinct score.
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var truePositives: [Double] = []
        var falsePositives: [Double] = []
        var thresholds: [Double] = []
        var positivesSoFar = 0
        var negativesSoFar = 0
        for (rank, index) in order.enumerated() {
            if labels[index] { positivesSoFar += 1 } else { negativesSoFar += 1 }
            let isLastOfScore = rank == order.count - 1 || scores[order[rank + 1]] != scores[index]
            if isLastOfScore {
                truePositives.append(Double(positivesSoFar))
                falsePositives.append(Double(negativesSoFar))
                thresholds.append(scores[index])
            }
        }
        if dropIntermediate && falsePositives.count > 2 {
            // scikit-learn keeps point i when the second difference of either count is non-zero
            // there, and always keeps the first and the last.
            var kept: [Int] = [0]
            for i in 1..<(falsePositives.count - 1) {
                let fpBend = falsePositives[i + 1] - 2 * falsePositives[i] + falsePositives[i - 1]
                let tpBend = truePositives[i + 1] - 2 * truePositives[i] + truePositives[i - 1]
                if fpBend != 0 || tpBend != 0 { kept.append(i) }
            }
            kept.append(falsePositives.count - 1)
            truePositives = kept.map { truePositives[$0] }
            falsePositives = kept.map { falsePositives[$0] }
            thresholds = kept.map { thresholds[$0] }
        }
        let totalPositives = Double(positivesSoFar)
        let totalNegatives = Double(negativesSoFar)
        self.truePositiveRates = [0] + truePositives.map { $0 / totalPositives }
        self.falsePositiveRates = [0] + falsePositives.map { $0 / totalNegatives }
        self.thresholds = [Double.infinity] + thresholds
    }

    /// Creates a curve from its points as they are (for decoding and tests).
    public init(falsePositiveRates: [Double], truePositiveRates: [Double], thresholds: [Double]) {
        self.falsePositiveRates = falsePositiveRates
        self.truePositiveRates = truePositiveRates
        self.thresholds = thresholds
    }

    /// The area under the curve by the trapezoid rule (numpy's `trapezoid`, as scikit-learn's
    /// `auc`).
    public var area: Double {
        var total = 0.0
        for i in 1..<falsePositiveRates.count {
            total += (falsePositiveRates[i] - falsePositiveRates[i - 1])
                * (truePositiveRates[i] + truePositiveRates[i - 1]) / 2
        }
        return total
    }

    /// Checks the inputs and says why no curve exists, or nil when one does.
    ///
    /// - Throws: `EvaluationError.lengthMismatch` when the arrays differ in length,
    ///   `EvaluationError.nonFiniteScore` naming the first NaN or infinite score.
    static func undefinedReason(scores: [Double], labels: [Bool]) throws -> AUC.UndefinedReason? {
        guard scores.count == labels.count else {
            throw EvaluationError.lengthMismatch(what: "labels", expected: scores.count, found: labels.count)
        }
        if let bad = scores.firstIndex(where: { !$0.isFinite }) {
            throw EvaluationError.nonFiniteScore(what: "scores", index: bad, value: scores[bad])
        }
        if scores.isEmpty { return .noImages }
        if !labels.contains(true) { return .noPositives }
        if !labels.contains(false) { return .noNegatives }
        return nil
    }

    private enum CodingKeys: String, CodingKey { case falsePositiveRates, truePositiveRates, thresholds }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        falsePositiveRates = try container.decode([Double].self, forKey: .falsePositiveRates)
        truePositiveRates = try container.decode([Double].self, forKey: .truePositiveRates)
        thresholds = try container.decode([Double].self, forKey: .thresholds)
            .map { $0 == Double.greatestFiniteMagnitude ? Double.infinity : $0 }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(falsePositiveRates, forKey: .falsePositiveRates)
        try container.encode(truePositiveRates, forKey: .truePositiveRates)
        try container.encode(thresholds.map { $0.isFinite ? $0 : Double.greatestFiniteMagnitude },
                             forKey: .thresholds)
    }
}

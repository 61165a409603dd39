/// A stated rule that chooses a class's decision threshold from scored, labelled images, stored
/// by name in a model card.
public enum ThresholdRule: String, Codable, CaseIterable, Sendable {
    /// Maximizes sensitivity + specificity − 1 (`DecisionThreshold.youden`).
    case youden
    /// Maximizes F1 = 2·TP / (2·TP + FP + FN) (`DecisionThreshold.maximumF1`).
    ///
    /// Why F1 for the chest classes: with 2–60 positives among hundreds of films, Youden's J
    /// weighs a false positive by 1/negatives, so it buys a little sensitivity with many false
    /// alarms and marks most findings present on a normal film; F1 never counts true negatives,
    /// so each false alarm costs as much as a missed finding, and the chosen thresholds keep the
    /// films marked positive near the positives' number.
    case maximumF1 = "max-f1"
    /// The lowest threshold at which specificity is still at least 0.90
    /// (`DecisionThreshold.atSpecificity`).
    ///
    /// Why a fixed specificity: it bounds what a reader of a normal film sees. At most one in ten
    /// films without a finding has it marked, so over 14 classes a film with no finding shows
    /// about 1.4 marks whatever the classifier's quality; F1 and Youden's J instead trade false
    /// alarms for sensitivity by each class's prevalence and, with a weak classifier, mark
    /// several findings on most normal films. The price is sensitivity, which the card states.
    case specificity90 = "specificity-90"

    /// The rule in words, for a card.
    public var words: String {
        switch self {
        case .youden: return "Youden's J (sensitivity + specificity − 1) maximized per class"
        case .maximumF1: return "F1 maximized per class (ties: the lowest threshold)"
        case .specificity90: return "the lowest threshold per class keeping specificity at least 0.90 (at most 1 in 10 films without the finding marked)"
        }
    }

    /// The threshold of `scores` under this rule; nil without both positives and negatives.
    public func threshold(scores: [Float], labels: [Int]) -> Float? {
        switch self {
        case .youden: return DecisionThreshold.youden(scores: scores, labels: labels)
        case .maximumF1: return DecisionThreshold.maximumF1(scores: scores, labels: labels)
        case .specificity90: return DecisionThreshold.atSpecificity(0.9, scores: scores, labels: labels)
        }
    }
}

extension DecisionThreshold {
    /// The lowest threshold t for which "present when the score is at least t" keeps
    /// specificity at least `specificity` (at most ⌊(1 − specificity)·negatives⌋ negatives at or
    /// above t), labels 1 positive, 0 negative, others ignored; nil without both positives and
    /// negatives. Tied scores move together. The threshold is the midpoint between the last
    /// admitted score and the next lower one (0 below the lowest), as `youden` places it; when
    /// even the highest score's films hold too many negatives, it is just above that score, so
    /// nothing is marked.
    public static func atSpecificity(_ specificity: Double, scores: [Float], labels: [Int]) -> Float? {
        guard let sweep = ThresholdSweep(scores: scores, labels: labels) else { return nil }
        // The small term keeps (1 − 0.9)·100 at 10 despite 1 − 0.9 being just under 0.1 in binary.
        let allowed = Int((Double(sweep.negatives) * (1 - specificity) + 1e-9).rounded(.down))
        // False positives only grow down the sweep: the last point within the allowance.
        return sweep.points.last { $0.falsePositives <= allowed }?.threshold ?? sweep.highest.nextUp
    }
}

extension DecisionThreshold {
    /// The score threshold maximizing F1 = 2·TP / (2·TP + FP + FN) over "present when the score
    /// is at least t" (labels 1 positive, 0 negative, others ignored); nil without both
    /// positives and negatives. Tied scores move together; of equal F1 values the lowest
    /// threshold wins (the one that marks more films, so a tie never costs sensitivity). The
    /// threshold is the midpoint between the chosen score and the next lower one (0 below the
    /// lowest), as `youden` places it.
    public static func maximumF1(scores: [Float], labels: [Int]) -> Float? {
        guard let sweep = ThresholdSweep(scores: scores, labels: labels) else { return nil }
        var best: (f1: Double, threshold: Float)?
        for point in sweep.points {
            // 2·TP + FP + FN = TP + FP + positives.
            let f1 = Double(2 * point.truePositives) / Double(point.truePositives + point.falsePositives + sweep.positives)
            if best == nil || f1 >= best!.f1 { best = (f1, point.threshold) }
        }
        return best?.threshold
    }
}

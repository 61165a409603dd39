import Foundation

/// The area under the ROC curve of one class, or an explicit statement that it is undefined.
///
/// AUC needs at least one positive and one negative image: with only one kind the ROC curve has
/// no extent on one axis. scikit-learn raises an error there and other tools return NaN; Thorax
/// keeps the class and says `undefined` with the reason, so tables show it and means skip it.
public enum AUC: Equatable, Sendable, CustomStringConvertible {
    /// The area, in [0, 1].
    case defined(Double)
    /// No area exists; the reason says which kind of image is missing.
    case undefined(UndefinedReason)

    /// Why an AUC (or ROC curve) does not exist.
    public enum UndefinedReason: String, Codable, Equatable, Sendable {
        case noImages = "no images"
        case noPositives = "no positive images"
        case noNegatives = "no negative images"
    }

    /// The area when defined, else nil.
    public var value: Double? {
        if case let .defined(area) = self { return area }
        return nil
    }

    /// The reason when undefined, else nil.
    public var undefinedReason: UndefinedReason? {
        if case let .undefined(reason) = self { return reason }
        return nil
    }

    public var description: String {
        switch self {
        case let .defined(area): return String(format: "%.4f", area)
        case .undefined: return "undefined"
        }
    }

    /// Computes the ROC AUC of one class exactly as scikit-learn's `roc_auc_score` does for a
    /// binary problem: the trapezoid rule over the ROC curve whose points are the distinct score
    /// values (so tied scores count one half, the same as Mann–Whitney midranks).
    ///
    /// - Parameters:
    ///   - scores: (N) one score per image; higher means "more likely positive". Any monotone
    ///     scale works (probabilities or logits).
    ///   - labels: (N) whether each image is positive for the class.
    /// - Returns: `.defined(area)`, or `.undefined` when N = 0 or all labels are equal.
    /// - Throws: `EvaluationError.lengthMismatch` when the arrays differ in length,
    ///   `EvaluationError.nonFiniteScore` when a score is NaN or infinite.
    public init(scores: [Double], labels: [Bool]) throws {
        guard let curve = try ROCCurve(scores: scores, labels: labels) else {
            self = .undefined(try ROCCurve.undefinedReason(scores: scores, labels: labels)!)
            return
        }
        self = .defined(curve.area)
    }

    /// The mean of the defined AUCs, or nil when none is defined.
    public static func mean(_ values: [AUC]) -> Double? {
        let defined = values.compactMap(\.value)
        guard !defined.isEmpty else { return nil }
        return defined.reduce(0, +) / Double(defined.count)
    }
}

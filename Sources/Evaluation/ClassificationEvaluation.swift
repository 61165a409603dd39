import Foundation

/// The paper's classification benchmark for one model on one set of images: ROC AUC per class
/// with a bootstrap interval, the number of positives, the ROC curve, and the mean AUC.
public struct ClassificationEvaluation: Equatable, Sendable {
    /// The result for one class.
    public struct ClassResult: Equatable, Sendable {
        public var className: String
        public var auc: AUC
        /// The percentile bootstrap interval; nil where the AUC is undefined.
        public var interval: BootstrapInterval?
        public var positives: Int
        public var negatives: Int
        /// The ROC curve (scikit-learn's points); nil where the AUC is undefined.
        public var curve: ROCCurve?
    }

    /// One per class, in the order of the class names given.
    public var classes: [ClassResult]
    /// The mean AUC over the classes whose AUC is defined; nil when none is.
    public var meanAUC: Double?
    /// How many classes the mean covers.
    public var meanClassCount: Int
    /// The bootstrap interval of the mean (see `Bootstrap.Result.meanInterval`).
    public var meanInterval: BootstrapInterval?
    /// Number of images evaluated.
    public var imageCount: Int
    /// The bootstrap settings used.
    public var bootstrap: BootstrapOptions

    /// Evaluates per-image class scores against labels.
    ///
    /// - Parameters:
    ///   - classNames: (C) class names, in column order.
    ///   - scores: (N, C) row per image, a score (probability or logit) per class.
    ///   - labels: (N, C) row per image, whether the image is positive for each class.
    ///   - bootstrap: resamples, confidence and seed of the intervals.
    ///   - progress: (resamples done, total), from the bootstrap.
    /// - Throws: `EvaluationError.lengthMismatch` when the row counts differ,
    ///   `EvaluationError.raggedRow` naming the first row whose width is not C,
    ///   `EvaluationError.nonFiniteScore` naming the class and image of a NaN or infinite score,
    ///   `EvaluationError.invalidParameter` for bad bootstrap options.
    public init(
        classNames: [String], scores: [[Double]], labels: [[Bool]],
        bootstrap: BootstrapOptions = BootstrapOptions(), progress: ((Int, Int) -> Void)? = nil
    ) throws {
        guard scores.count == labels.count else {
            throw EvaluationError.lengthMismatch(what: "label rows", expected: scores.count, found: labels.count)
        }
        let classCount = classNames.count
        if let row = scores.firstIndex(where: { $0.count != classCount }) {
            throw EvaluationError.raggedRow(what: "scores", row: row, expected: classCount, found: scores[row].count)
        }
        if let row = labels.firstIndex(where: { $0.count != classCount }) {
            throw EvaluationError.raggedRow(what: "labels", row: row, expected: classCount, found: labels[row].count)
        }
        // Columns: one array per class, as the metrics take them.
        let scoreColumns = (0..<classCount).map { c in scores.map { $0[c] } }
        let labelColumns = (0..<classCount).map { c in labels.map { $0[c] } }
        var results: [ClassResult] = []
        for c in 0..<classCount {
            let curve: ROCCurve?
            do {
                curve = try ROCCurve(scores: scoreColumns[c], labels: labelColumns[c])
            } catch let EvaluationError.nonFiniteScore(_, index, value) {
                throw EvaluationError.nonFiniteScore(what: "scores of \(classNames[c])", index: index, value: value)
            }
            let auc: AUC = try curve.map { .defined($0.area) }
                ?? .undefined(ROCCurve.undefinedReason(scores: scoreColumns[c], labels: labelColumns[c])!)
            let positives = labelColumns[c].filter { $0 }.count
            results.append(ClassResult(
                className: classNames[c], auc: auc, interval: nil,
                positives: positives, negatives: scores.count - positives, curve: curve))
        }
        let intervals = try Bootstrap.aucIntervals(
            scores: scoreColumns, labels: labelColumns, options: bootstrap, progress: progress)
        for c in results.indices { results[c].interval = intervals.classIntervals[c] }
        self.classes = results
        self.meanAUC = AUC.mean(results.map(\.auc))
        self.meanClassCount = results.filter { $0.auc.value != nil }.count
        self.meanInterval = intervals.meanInterval
        self.imageCount = scores.count
        self.bootstrap = bootstrap
    }

    /// The same evaluation from single-precision model outputs.
    public init(
        classNames: [String], scores: [[Float]], labels: [[Bool]],
        bootstrap: BootstrapOptions = BootstrapOptions(), progress: ((Int, Int) -> Void)? = nil
    ) throws {
        try self.init(classNames: classNames, scores: scores.map { $0.map(Double.init) }, labels: labels,
                      bootstrap: bootstrap, progress: progress)
    }
}

import Foundation

/// One class of one image's prediction: its probability, its decision threshold, and whether
/// the class is present.
public struct ClassPrediction: Equatable, Sendable, Codable {
    public var className: String
    /// The sigmoid of the class's logit, in [0, 1].
    public var probability: Float
    /// The class's decision threshold (from the model card).
    public var threshold: Float
    /// probability ≥ threshold.
    public var present: Bool

    public init(className: String, probability: Float, threshold: Float) {
        self.className = className
        self.probability = probability
        self.threshold = threshold
        present = probability >= threshold
    }
}

/// What a model says about one image, computed once from the network's output and read by
/// every output: the command's table and JSON, the database's rows, the HTML page (and the
/// HTTP service's answer).
public struct Prediction: Equatable, Sendable {
    /// (C) one per class, in the model's class order.
    public var classes: [ClassPrediction]
    /// (C) one map per class in `classes` order, each the S×S CAM over the whole image,
    /// copied once from the network's output; empty unless heatmaps were asked for.
    public var heatmaps: [Heatmap]

    /// The prediction of `probabilities` (C) at `thresholds` (C) for classes `classNames` (C).
    ///
    /// - Throws: `EvaluationError.lengthMismatch` when the probabilities or thresholds are not
    ///   one per class, or `heatmaps` is neither empty nor one per class.
    public init(classNames: [String], thresholds: [Float], probabilities: [Float], heatmaps: [Heatmap] = []) throws {
        guard probabilities.count == classNames.count else {
            throw EvaluationError.lengthMismatch(what: "probabilities", expected: classNames.count, found: probabilities.count)
        }
        guard thresholds.count == classNames.count else {
            throw EvaluationError.lengthMismatch(what: "thresholds", expected: classNames.count, found: thresholds.count)
        }
        guard heatmaps.isEmpty || heatmaps.count == classNames.count else {
            throw EvaluationError.lengthMismatch(what: "heatmaps", expected: classNames.count, found: heatmaps.count)
        }
        classes = classNames.indices.map {
            ClassPrediction(className: classNames[$0], probability: probabilities[$0], threshold: thresholds[$0])
        }
        self.heatmaps = heatmaps
    }

    /// A prediction of classes decided already (e.g. read back from JSON).
    public init(classes: [ClassPrediction], heatmaps: [Heatmap] = []) {
        self.classes = classes
        self.heatmaps = heatmaps
    }

    /// (C) the probabilities in class order.
    public var probabilities: [Float] { classes.map(\.probability) }

    /// The classes at or above their threshold, in class order.
    public var presentClasses: [String] { classes.filter(\.present).map(\.className) }
}

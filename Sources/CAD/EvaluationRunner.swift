import Foundation

/// An image to evaluate on: its name, where its file is (nil when none is recorded) and the
/// classes it is positive for (every other class counts as negative).
public struct LabelledImage: Equatable, Sendable {
    public var name: String
    public var path: String?
    public var positiveClasses: Set<String>

    public init(name: String, path: String?, positiveClasses: Set<String>) {
        self.name = name
        self.path = path
        self.positiveClasses = positiveClasses
    }
}

/// The classification benchmark of one model on a set of labelled images.
public struct EvaluationReport: Sendable {
    public var evaluation: ClassificationEvaluation
    public var table: ClassificationTable
    /// Images asked for.
    public var requested: Int
    /// Images skipped because their file is not on disk (or none is recorded).
    public var missing: Int
    /// Files that exist but could not be decoded or classified, skipped and named.
    public var failures: [FileFailure]

    /// The paper's one-row table, the per-class details, and a line on skipped images.
    public var text: String {
        var text = table.paperLayoutText + "\n" + table.detailText
        text += "\(requested) images requested, \(table.imageCount) evaluated, \(missing) missing on disk"
        text += failures.isEmpty ? "\n" : ", \(failures.count) unreadable\n"
        return text
    }

    /// The JSON written by `thorax eval --json`: the table, the ROC curve points per class
    /// (null where the AUC is undefined), and the counts.
    public struct JSON: Encodable {
        public var table: ClassificationTable
        public var curves: [String: ROCCurve?]
        public var requested: Int
        public var missing: Int
        public var failures: [FileFailure]
    }

    public var json: JSON {
        JSON(table: table,
             curves: Dictionary(uniqueKeysWithValues: evaluation.classes.map { ($0.className, $0.curve) }),
             requested: requested, missing: missing, failures: failures)
    }
}

/// `thorax eval`: classifies labelled images and computes the paper's AUC table.
public struct EvaluationRunner {
    public var classifier: ChestClassifier
    public var modelName: String
    public var bootstrap: BootstrapOptions

    public init(classifier: ChestClassifier, modelName: String, bootstrap: BootstrapOptions = BootstrapOptions()) {
        self.classifier = classifier
        self.modelName = modelName
        self.bootstrap = bootstrap
    }

    /// Evaluates the model on `images`.
    ///
    /// Images whose file is not recorded or not on disk are skipped and counted as missing;
    /// files that exist but cannot be decoded are skipped and listed as failures. A class with
    /// no positive (or no negative) image among those evaluated has an undefined AUC.
    ///
    /// - Parameters:
    ///   - progress: (images classified, images on disk), then the bootstrap's (resamples done,
    ///     total) through `bootstrapProgress`.
    /// - Throws: `EvaluationError.invalidParameter` when no image could be evaluated; the
    ///   metric's errors (e.g. a NaN probability, naming class and image).
    public func run(images: [LabelledImage], progress: ((Int, Int) -> Void)? = nil,
                    bootstrapProgress: ((Int, Int) -> Void)? = nil) throws -> EvaluationReport {
        let onDisk = images.filter { image in image.path.map { FileManager.default.fileExists(atPath: $0) } ?? false }
        var scores: [[Float]] = []
        var labels: [[Bool]] = []
        var failures: [FileFailure] = []
        try classifier.classifyFiles(onDisk.map { $0.path! }, heatmaps: false, progress: progress) { index, result in
            switch result {
            case .failure(let failure):
                failures.append(failure)
            case .success(let (_, classification)):
                scores.append(classification.probabilities)
                labels.append(classifier.classNames.map { onDisk[index].positiveClasses.contains($0) })
            }
        }
        guard !scores.isEmpty else {
            throw EvaluationError.invalidParameter(
                "no image to evaluate: \(images.count) requested, \(images.count - onDisk.count) missing on disk, "
                    + "\(failures.count) unreadable")
        }
        let evaluation = try ClassificationEvaluation(classNames: classifier.classNames, scores: scores, labels: labels,
                                                      bootstrap: bootstrap, progress: bootstrapProgress)
        return EvaluationReport(evaluation: evaluation, table: ClassificationTable(model: modelName, evaluation: evaluation),
                                requested: images.count, missing: images.count - onDisk.count, failures: failures)
    }
}

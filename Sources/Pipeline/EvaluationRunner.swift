import Evaluation
import Foundation
import Reporting
import Store

/// The classification benchmark of one model on a set of labelled images.
public struct EvaluationReport: Sendable {
    public var evaluation: ClassificationEvaluation
    public var table: ClassificationTable
    /// Images asked for.
    public var requested: Int
    /// Images skipped because their file is not on disk (or none is recorded).
    public var missing: Int
    /// Images skipped because they have no label of the chosen source at all.
    public var unlabelled: Int
    /// Files that exist but could not be decoded or classified, skipped and named.
    public var failures: [FileFailure]
    /// The probabilities of each evaluated image, by database image id (for storing them).
    public var probabilities: [ImageProbabilities] = []

    /// The paper's one-row table, the per-class details, and a line on skipped images.
    public var text: String {
        var text = table.paperLayoutText + "\n" + table.detailText
        text += "\(requested) images requested, \(table.imageCount) evaluated, \(missing) missing on disk"
        if unlabelled > 0 { text += ", \(unlabelled) without labels" }
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
        public var unlabelled: Int
        public var failures: [FileFailure]
    }

    public var json: JSON {
        JSON(table: table,
             curves: Dictionary(uniqueKeysWithValues: evaluation.classes.map { ($0.className, $0.curve) }),
             requested: requested, missing: missing, unlabelled: unlabelled, failures: failures)
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

    /// Evaluates the model on `images` (as `ThoraxDatabase.labelledImages` gives them).
    ///
    /// Truth: a model class is positive on an image when the image's label of the class of
    /// that name (`Findings.classes`) is 1; 0 and -1 (uncertain) count as negative, and a class
    /// outside the 14 has no positive. Images with no label at all (every value -1) are skipped
    /// and counted as unlabelled; images whose file is not recorded or not on disk are skipped
    /// and counted as missing; files that exist but cannot be decoded are skipped and listed as
    /// failures. A class with no positive (or no negative) image has an undefined AUC.
    ///
    /// - Parameters:
    ///   - progress: (images classified, images on disk); `bootstrapProgress`: (resamples done, total).
    /// - Throws: `EvaluationError.invalidParameter` when no image could be evaluated; the
    ///   metric's errors (e.g. a NaN probability, naming class and image).
    public func run(images: [LabelledImage], progress: ((Int, Int) -> Void)? = nil,
                    bootstrapProgress: ((Int, Int) -> Void)? = nil) throws -> EvaluationReport {
        let labelled = images.filter { $0.labels.contains { $0 != -1 } }
        let onDisk = labelled.filter { image in image.path.map { FileManager.default.fileExists(atPath: $0) } ?? false }
        let labelIndex = classifier.classNames.map { Findings.index[$0] }
        var scores: [[Float]] = []
        var labels: [[Bool]] = []
        var failures: [FileFailure] = []
        var probabilities: [ImageProbabilities] = []
        try classifier.classifyFiles(onDisk.map { $0.path! }, heatmaps: false, progress: progress) { index, result in
            switch result {
            case .failure(let failure):
                failures.append(failure)
            case .success(let (_, prediction)):
                scores.append(prediction.probabilities)
                probabilities.append(ImageProbabilities(imageID: onDisk[index].id, probabilities: prediction.probabilities))
                labels.append(labelIndex.map { c in c.map { onDisk[index].labels[$0] == 1 } ?? false })
            }
        }
        guard !scores.isEmpty else {
            throw EvaluationError.invalidParameter(
                "no image to evaluate: \(images.count) requested, \(images.count - labelled.count) without labels, "
                    + "\(labelled.count - onDisk.count) missing on disk, \(failures.count) unreadable")
        }
        let evaluation = try ClassificationEvaluation(classNames: classifier.classNames, scores: scores, labels: labels,
                                                      bootstrap: bootstrap, progress: bootstrapProgress)
        return EvaluationReport(evaluation: evaluation, table: ClassificationTable(model: modelName, evaluation: evaluation),
                                requested: images.count, missing: labelled.count - onDisk.count,
                                unlabelled: images.count - labelled.count, failures: failures,
                                probabilities: probabilities)
    }
}

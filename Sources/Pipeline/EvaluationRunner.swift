import Distributed
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
        let (labelled, onDisk) = Self.select(images)
        let classified = try classify(onDisk, positions: Array(onDisk.indices), progress: progress)
        return try report(images: images, labelled: labelled, onDisk: onDisk, classified: classified,
                          bootstrapProgress: bootstrapProgress)
    }

    /// `run(images:)` over the ranks of a data-parallel job (collective): rank r classifies the
    /// images r, r + N, r + 2N, … of those on disk (`StridedShard`), rank 0 gathers them in
    /// their order and computes the report, which is therefore the one a single process
    /// computes. Returns it on rank 0 and nil on the others; `progress` counts this rank's share.
    /// - Throws: as `run(images:)`, on rank 0; `DistributedError` (end the job).
    public func run(images: [LabelledImage], communicator: Communicator, progress: ((Int, Int) -> Void)? = nil,
                    bootstrapProgress: ((Int, Int) -> Void)? = nil) throws -> EvaluationReport? {
        let (labelled, onDisk) = Self.select(images)
        let share = Array(communicator.shard.positions(inBatchOf: onDisk.count))
        let mine = try classify(share.map { onDisk[$0] }, positions: share, progress: progress)
        guard let parts = try communicator.gather(mine) else { return nil }
        let classified = parts.joined().sorted { $0.position < $1.position }
        return try report(images: images, labelled: labelled, onDisk: onDisk, classified: classified,
                          bootstrapProgress: bootstrapProgress)
    }

    /// The images with at least one label, and of those the ones whose file is on disk.
    static func select(_ images: [LabelledImage]) -> (labelled: [LabelledImage], onDisk: [LabelledImage]) {
        let labelled = images.filter { $0.labels.contains { $0 != -1 } }
        let onDisk = labelled.filter { image in image.path.map { FileManager.default.fileExists(atPath: $0) } ?? false }
        return (labelled, onDisk)
    }

    /// One image's outcome: its position among the images on disk, and its probabilities or
    /// why it could not be classified.
    struct ClassifiedImage: Codable {
        var position: Int
        var probabilities: [Float]?
        var failure: FileFailure?
    }

    /// Classifies `images` (whose positions among those on disk are `positions`).
    private func classify(_ images: [LabelledImage], positions: [Int], progress: ((Int, Int) -> Void)?) throws -> [ClassifiedImage] {
        var classified: [ClassifiedImage] = []
        try classifier.classifyFiles(images.map { $0.path! }, heatmaps: false, progress: progress) { index, result in
            switch result {
            case .failure(let failure):
                classified.append(ClassifiedImage(position: positions[index], probabilities: nil, failure: failure))
            case .success(let (_, prediction)):
                classified.append(ClassifiedImage(position: positions[index], probabilities: prediction.probabilities, failure: nil))
            }
        }
        return classified
    }

    /// The report of the classified images (in their order on disk).
    private func report(images: [LabelledImage], labelled: [LabelledImage], onDisk: [LabelledImage],
                        classified: [ClassifiedImage], bootstrapProgress: ((Int, Int) -> Void)?) throws -> EvaluationReport {
        let labelIndex = classifier.classNames.map { Findings.index[$0] }
        var scores: [[Float]] = []
        var labels: [[Bool]] = []
        var failures: [FileFailure] = []
        var probabilities: [ImageProbabilities] = []
        for image in classified {
            guard let values = image.probabilities else {
                if let failure = image.failure { failures.append(failure) }
                continue
            }
            let stored = onDisk[image.position]
            scores.append(values)
            probabilities.append(ImageProbabilities(imageID: stored.id, probabilities: values))
            labels.append(labelIndex.map { c in c.map { stored.labels[$0] == 1 } ?? false })
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

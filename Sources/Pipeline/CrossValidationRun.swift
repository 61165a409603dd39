import Evaluation
import Foundation
import Loader
import Store
import Tensor
import Training

/// `thorax train --folds K`: K patient-level folds of the training part (`PatientFolds`), one
/// `TrainingRun` per fold in `OUT/fold-<k>` (trained on the other folds, its epoch-by-epoch
/// validation on its own fold recorded only to be read), and each fold's films predicted by the
/// fold model at its last epoch: the out-of-fold predictions. From them: AUC per class with
/// bootstrap intervals, the thresholds of the chosen rule, the marked-findings figure. The
/// model in `OUT/model` is then the K fold models' ensemble (`ensemble`), or one model trained
/// on every film for the same epochs (`OUT/all`), its card carrying the out-of-fold figures.
///
/// With `members` M > 1 each fold trains M networks (seeds s, s + 1, …; the folds stay those of
/// seed s) in `OUT/fold-<k>`, `OUT/fold-<k>-member-<m>`, and their ensemble predicts the fold; the
/// model is then the ensemble of M networks trained on every film (`OUT/all`,
/// `OUT/all-member-<m>`). With `standardizeScores` each network's logits are standardized by
/// their mean and spread on its own training films (`ModelCard.ScoreStandardization`).
///
/// Each network's `model/` holds its last epoch — the network that predicted its fold — with
/// the run's thresholds, not the epoch its own validation liked best (`TrainingRun` keeps that
/// one): on a fold, that choice would have been made on the very films it predicts.
public final class CrossValidationRun {
    public struct Options: Sendable {
        public var folds: Int
        public var ensemble: Bool
        public var thresholdRule: ThresholdRule
        /// The source commit, recorded in the card as given.
        public var commit: String?
        public var bootstrap: BootstrapOptions
        /// Continue the run in the output: each fold (and the model on every film) resumes from
        /// its checkpoint where it has one and starts where it has none; a finished one only
        /// predicts its fold again. The figures, thresholds and card are computed anew, so a
        /// finished run can be given another threshold rule without training.
        public var resume: Bool
        /// Networks per fold (and trained on every film), seeds `seed` … `seed + members − 1`.
        public var members: Int
        /// Standardize each network's scores on its own training films.
        public var standardizeScores: Bool
        /// How every network of the run runs (its oneDNN threads among them); not recorded.
        public var engineOptions: EngineOptions
        public init(folds: Int, ensemble: Bool, thresholdRule: ThresholdRule = .maximumF1, commit: String? = nil,
                    bootstrap: BootstrapOptions = BootstrapOptions(), resume: Bool = false, members: Int = 1,
                    standardizeScores: Bool = false, engineOptions: EngineOptions = EngineOptions()) {
            self.resume = resume
            self.members = members
            self.standardizeScores = standardizeScores
            self.folds = folds
            self.ensemble = ensemble
            self.thresholdRule = thresholdRule
            self.commit = commit
            self.bootstrap = bootstrap
            self.engineOptions = engineOptions
        }
    }

    /// What the run measured and where its model is.
    public struct Outcome {
        public var folds: PatientFolds
        /// Out-of-fold probabilities, one per film, films in fold order.
        public var outOfFold: [ImageProbabilities]
        public var evaluation: ClassificationEvaluation
        /// The model written to `OUT/model`, its card complete.
        public var model: ChestModel
    }

    public let options: TrainingOptions
    public let source: TrainingSource
    public let settings: Options
    public let output: URL
    public let thoraxVersion: String
    /// The films on disk with a label, and their patients.
    let images: [LabelledImage]
    public let folds: PatientFolds
    private let warning: @Sendable (LoaderWarning) -> Void

    /// The folder of fold k (1-based) in the output, and of the model trained on every film;
    /// member m > 1 of either adds `-member-<m>`.
    public static func foldFolder(_ k: Int, member: Int = 1) -> String { "fold-\(k)" + memberSuffix(member) }
    public static let allFilmsFolder = "all"
    public static func allFilmsFolder(member: Int) -> String { allFilmsFolder + memberSuffix(member) }
    private static func memberSuffix(_ member: Int) -> String { member == 1 ? "" : "-member-\(member)" }

    /// Which network a progress report is about: fold 1…K (K + 1 for the model on every film)
    /// and member 1…M.
    public struct Step: Equatable, Sendable {
        public var fold: Int
        public var member: Int
    }

    /// The validation part a fold's run records: "train_val fold 2 of 5".
    public static func foldPart(_ trainPart: String, fold: Int, of count: Int) -> String {
        "\(trainPart) fold \(fold) of \(count)"
    }

    /// K of a fold run's recorded validation part (`foldPart`), or nil when it is not one.
    public static func foldCount(ofPart part: String) -> Int? {
        guard let range = part.range(of: " of ", options: .backwards) else { return nil }
        return Int(part[range.upperBound...])
    }

    /// Sets the run up: the films of `images` that have a label and a file on disk, folded by
    /// patient with the options' seed.
    /// - Throws: `TrainingError` for bad options; `StoreError.invalidRequest` for fewer
    ///   patients than folds or fewer than 2 folds; `TrainingError.noImages` when no film is usable.
    public init(options: TrainingOptions, source: TrainingSource, images: [LabelledImage], patients: [Int64: String],
                settings: Options, output: URL, thoraxVersion: String,
                warning: @escaping @Sendable (LoaderWarning) -> Void = { _ in }) throws {
        try options.validate()
        guard settings.members >= 1 else { throw StoreError.invalidRequest("a cross-validated run needs at least 1 member per fold, got \(settings.members)") }
        let usable = EvaluationRunner.select(images).onDisk
        guard !usable.isEmpty else {
            throw TrainingError.noImages("no film of \(source.split):\(source.trainPart) has a label and a file on disk")
        }
        let usableIDs = Set(usable.map(\.id))
        folds = try PatientFolds(patients: patients.filter { usableIDs.contains($0.key) },
                                 count: settings.folds, seed: options.seed)
        self.images = usable
        self.options = options
        self.source = source
        self.settings = settings
        self.output = output
        self.thoraxVersion = thoraxVersion
        self.warning = warning
    }

    /// Trains the K folds (and, without `ensemble`, the model on every film), then writes
    /// `OUT/model` and `OUT/out-of-fold.json`.
    /// - Parameter progress: which network (`Step`) and the trainer's progress.
    /// - Throws: the trainer's errors; `EvaluationError` when the out-of-fold predictions cannot be scored.
    public func run(progress: (Step, TrainingProgress) -> Void = { _, _ in }) throws -> Outcome {
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let byID = Dictionary(uniqueKeysWithValues: images.map { ($0.id, $0) })
        // Every fold network, fold by fold, and the folder of its model.
        var networks: [(model: ChestModel, folder: URL)] = []
        var outOfFold: [ImageProbabilities] = []
        for (index, fold) in folds.folds.enumerated() {
            let held = Set(fold)
            var foldSource = source
            foldSource.validationPart = Self.foldPart(source.trainPart, fold: index + 1, of: folds.folds.count)
            let training = images.filter { !held.contains($0.id) }
            let foldMembers = try (1 ... settings.members).map { member in
                try trainNetwork(folder: Self.foldFolder(index + 1, member: member), member: member, source: foldSource,
                                 training: training, validation: fold.map { byID[$0]! }) {
                    progress(Step(fold: index + 1, member: member), $0)
                }
            }
            networks += foldMembers.enumerated().map { ($0.element, networkFolder(Self.foldFolder(index + 1, member: $0.offset + 1))) }
            // The last epoch's weights: the held-out fold chose nothing.
            let foldModel = foldMembers.count == 1 ? foldMembers[0] : try ChestModel(ensembleOf: foldMembers, card: foldMembers[0].card)
            let report = try EvaluationRunner(classifier: foldModel, modelName: Self.foldFolder(index + 1),
                                              bootstrap: BootstrapOptions(resamples: 1))
                .run(images: fold.map { byID[$0]! })
            outOfFold += report.probabilities
        }
        let classes = networks[0].model.card.classes
        let labels = outOfFold.map { result in classes.map { Findings.index[$0].map { byID[result.imageID]!.labels[$0] } ?? 0 } }
        let scores = outOfFold.map(\.probabilities)
        let evaluation = try ClassificationEvaluation(classNames: classes, scores: scores, labels: labels.map { $0.map { $0 == 1 } },
                                                      bootstrap: settings.bootstrap)
        let thresholds = (0 ..< classes.count).map { c in
            settings.thresholdRule.threshold(scores: scores.map { $0[c] }, labels: labels.map { $0[c] == 1 ? 1 : 0 }) ?? 0.5
        }
        // Every fold network's card takes the run's thresholds (on its scale when standardized).
        for (network, folder) in networks {
            network.card.thresholds = thresholds
            try network.card.write(directory: folder)
        }
        // Every network's card already names its last epoch (`trainNetwork`).
        let model = try finalModel(members: networks.map(\.model), progress: progress)
        model.card.thresholds = thresholds
        // A resumed run's model keeps the card it saved; the notes are this run's.
        model.card.notes = options.notes
        model.card.crossValidation = try ModelCard.CrossValidation(
            folds: folds.folds.count, seed: options.seed, images: outOfFold.count, patients: folds.patientCounts.reduce(0, +),
            positives: evaluation.classes.map(\.positives),
            epochsChosen: "fixed in advance at \(options.epochs); " + (settings.members == 1
                ? "every fold model's last epoch predicts its fold"
                : "each fold's \(settings.members) networks (seeds \(options.seed)–\(options.seed &+ UInt64(settings.members - 1))) at their last epoch predict it together"),
            thresholdRule: settings.thresholdRule,
            thresholdsChosen: "\(settings.thresholdRule.words), on the out-of-fold predictions of all \(outOfFold.count) films (0.5 where a class has no positive)",
            auc: evaluation.classes.map(\.auc.value), aucIntervals: evaluation.classes.map(\.interval),
            meanAUC: evaluation.meanAUC, meanAUCInterval: evaluation.meanInterval,
            markedFindings: MarkedFindings(probabilities: scores, labels: labels, thresholds: thresholds),
            ensemble: settings.ensemble, commit: settings.commit,
            members: settings.members == 1 ? nil : settings.members,
            scoreStandardization: settings.standardizeScores
                ? "each network's logits minus their mean, over their standard deviation, on the films it trained on" : nil)
        model.card.metrics = ModelCard.Metrics(
            evaluatedOn: "\(source.split):\(source.trainPart), out of fold (\(outOfFold.count) films, \(folds.folds.count) patient-level folds)",
            auc: evaluation.classes.map(\.auc.value), meanAUC: evaluation.meanAUC)
        try model.save(directory: output.appendingPathComponent(TrainingRun.modelFolder), storage: options.modelStorage.storage)
        try writeOutOfFold(outOfFold, byID: byID)
        return Outcome(folds: folds, outOfFold: outOfFold, evaluation: evaluation, model: model)
    }

    /// The K members as one ensemble, or one model trained on every film for the same epochs
    /// (its validation on those same films only recorded).
    private func finalModel(members: [ChestModel], progress: (Step, TrainingProgress) -> Void) throws -> ChestModel {
        if settings.ensemble {
            var card = members[0].card
            card.training?.validationPart = "none: \(members.count) fold models, each validated on its own fold"
            card.training?.trainImages = images.count
            return try ChestModel(ensembleOf: members, card: card)
        }
        var allSource = source
        allSource.validationPart = "\(source.trainPart) (its own training films: recorded, not used to choose)"
        let networks = try (1 ... settings.members).map { member in
            try trainNetwork(folder: Self.allFilmsFolder(member: member), member: member, source: allSource,
                             training: images, validation: images) {
                progress(Step(fold: folds.folds.count + 1, member: member), $0)
            }
        }
        return networks.count == 1 ? networks[0] : try ChestModel(ensembleOf: networks, card: networks[0].card)
    }

    /// Trains (or resumes, or only loads, when finished) member `member` of a fold or of the
    /// final model in `OUT/folder`, with seed `seed + member − 1`; standardizes its scores on
    /// its training films when asked (the card in `OUT/folder/model` then says so).
    private func trainNetwork(folder: String, member: Int, source: TrainingSource, training: [LabelledImage],
                              validation: [LabelledImage], progress: (TrainingProgress) -> Void) throws -> ChestModel {
        var memberOptions = options
        memberOptions.seed = options.seed &+ UInt64(member - 1)
        let url = output.appendingPathComponent(folder)
        let run = try TrainingRun(options: memberOptions, source: source, trainingImages: training, validationImages: validation,
                                  output: url, resume: resumes(url),
                                  thoraxVersion: thoraxVersion, engineOptions: settings.engineOptions, warning: warning)
        let records = try run.run(progress: progress)
        let model = run.model
        // The last epoch, described as such (the card the run saved is its best epoch's).
        model.card.training?.bestEpoch = options.epochs
        if let last = records.last {
            model.card.metrics = ModelCard.Metrics(
                evaluatedOn: "\(source.split):\(source.validationPart) (\(validation.count) images, epoch \(last.epoch), the last)",
                auc: last.validationAUC, meanAUC: last.meanAUC)
        }
        model.card.scoreStandardization = nil
        if settings.standardizeScores { try model.standardizeScores(onFiles: training.map { $0.path! }) }
        try model.save(directory: networkFolder(folder), storage: options.modelStorage.storage)
        return model
    }

    /// `OUT/folder/model`: where a network of the run keeps its last epoch.
    private func networkFolder(_ folder: String) -> URL {
        output.appendingPathComponent(folder).appendingPathComponent(TrainingRun.modelFolder)
    }

    /// Whether the training run in `folder` continues from its checkpoint: when resuming and
    /// it has one (a fold the interrupted run never reached starts anew).
    private func resumes(_ folder: URL) -> Bool {
        settings.resume && TrainingRun.hasCheckpoint(folder)
    }

    /// `OUT/out-of-fold.json`: per film its name, fold and probabilities (written atomically).
    private func writeOutOfFold(_ results: [ImageProbabilities], byID: [Int64: LabelledImage]) throws {
        struct Film: Encodable { var image: String; var fold: Int; var probabilities: [Float] }
        let foldOf = folds.foldOfImage
        let films = results.map { Film(image: byID[$0.imageID]!.name, fold: foldOf[$0.imageID]! + 1, probabilities: $0.probabilities) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(films).write(to: output.appendingPathComponent("out-of-fold.json"), options: .atomic)
    }
}

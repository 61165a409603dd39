import Distributed
import Evaluation
import Foundation
import Imaging
import Loader
import Reporting
import Store
import Tensor
import Training

/// `thorax train`: a chest model built from the options, trained by `Trainer`, and the run's
/// outputs in one directory: `model/` (the best epoch's model directory, card included),
/// `metrics.csv`, `metrics.json` and `curves.svg` (rewritten after every epoch), and
/// `checkpoint/` (the trainer's, from which a resumed run continues). In a data-parallel job
/// every rank runs it and rank 0 alone writes them.
public final class TrainingRun {
    public let model: ChestModel
    public let trainer: Trainer
    public let outputDirectory: URL
    public let thoraxVersion: String

    /// The folder of the best model in the output.
    public static let modelFolder = "model"

    /// Sets up a run in `output` (or, with `resume`, the run saved there).
    /// - Parameters: as `Trainer.init` (`communicator`: the data-parallel job, or nil); the model
    ///   card records `thoraxVersion`; the network runs with `engineOptions` (its oneDNN threads
    ///   among them), which are no part of the run's record.
    /// - Throws: `TrainingError` for bad options (checked first), no images, an unusable
    ///   checkpoint or a resumed run's conflicting option; errors naming the initial-weights file.
    public init(options: TrainingOptions, source: TrainingSource, trainingImages: [LabelledImage],
                validationImages: [LabelledImage], output: URL, resume: Bool, thoraxVersion: String,
                communicator: Communicator? = nil, engineOptions: EngineOptions = EngineOptions(),
                warning: @escaping @Sendable (LoaderWarning) -> Void = { _ in }) throws {
        try options.validate()
        let card = Self.card(options: options, classes: Findings.classes, version: thoraxVersion)
        model = try ChestModel(card: card, seed: options.seed)
        model.setOptions(engineOptions)
        trainer = try Trainer(network: model.network, preprocessing: ChestModel.preprocessing(for: card), options: options,
                              source: source, trainingImages: trainingImages, validationImages: validationImages,
                              checkpointDirectory: output.appendingPathComponent(Trainer.checkpointFolder),
                              resume: resume, communicator: communicator, warning: warning)
        outputDirectory = output
        self.thoraxVersion = thoraxVersion
        // A resumed run keeps the card its best epoch wrote (what it was trained on, measured
        // and its thresholds) until a better epoch replaces it.
        let saved = output.appendingPathComponent(Self.modelFolder)
        if resume && FileManager.default.fileExists(atPath: saved.appendingPathComponent(ModelCard.fileName).path) {
            model.card = try ModelCard.read(directory: saved)
        }
    }

    /// Whether `output` holds a run's checkpoint to resume from.
    public static func hasCheckpoint(_ output: URL) -> Bool {
        FileManager.default.fileExists(atPath: output.appendingPathComponent(Trainer.checkpointFolder).path)
    }

    /// The card a run starts from: architecture and head from the options, ImageNet
    /// normalization on 3 channels, thresholds 0.5 until validation sets them.
    static func card(options: TrainingOptions, classes: [String], version: String) -> ModelCard {
        ModelCard(architecture: options.architecture, outputStride: options.outputStride, classes: classes,
                  preprocessing: .init(inputSize: options.inputSize, channels: 3, mean: Normalization.imageNetMean,
                                       standardDeviation: Normalization.imageNetStandardDeviation),
                  head: .init(transitionChannels: options.transitionChannels, pooling: options.pooling, lseR: options.lseR),
                  thresholds: Array(repeating: 0.5, count: classes.count), thoraxVersion: version)
    }

    /// Trains the remaining epochs; after each, saves the model when the epoch is the best so
    /// far and rewrites the metrics files.
    /// - Returns: the epochs' records (all of them, resumed ones included).
    /// - Throws: the trainer's errors; write errors naming the file.
    @discardableResult
    public func run(progress: (TrainingProgress) -> Void = { _ in }) throws -> [EpochRecord] {
        if trainer.rank == 0 { try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true) }
        return try trainer.run(progress: progress) { outcome in
            if outcome.isBest { try saveBestModel(outcome) }
            try writeMetrics(outcome)
        }
    }

    /// Saves the model of this epoch as the best one, with a card saying what it was trained on
    /// and what it measured; thresholds per class maximize Youden's J on the validation scores
    /// (0.5 where a class has no positive or no negative).
    func saveBestModel(_ outcome: EpochOutcome) throws {
        let options = trainer.options, source = trainer.source, record = outcome.record
        var card = model.card
        card.training = ModelCard.Training(
            database: URL(fileURLWithPath: source.database).lastPathComponent, split: source.split, trainPart: source.trainPart,
            validationPart: source.validationPart, trainImages: trainer.training.images.count,
            validationImages: trainer.validation.images.count,
            initialWeights: options.initialWeights.map { URL(fileURLWithPath: $0).lastPathComponent },
            loss: options.loss, optimizer: options.optimizer, learningRate: options.learningRate, batchSize: options.batchSize,
            gradientAccumulation: options.accumulation, epochs: options.epochs, bestEpoch: record.epoch, seed: options.seed,
            dropConnect: options.dropConnect.flatMap { $0 > 0 ? $0 : nil })
        card.metrics = ModelCard.Metrics(
            evaluatedOn: "\(source.split):\(source.validationPart) (\(trainer.validation.images.count) images, epoch \(record.epoch))",
            auc: record.validationAUC, meanAUC: record.meanAUC)
        card.thresholds = (0 ..< card.classes.count).map { c in
            DecisionThreshold.youden(scores: outcome.validationScores.map { $0[c] },
                                     labels: outcome.validationLabels.map { Int($0[c]) }) ?? 0.5
        }
        card.notes = options.notes
        model.card = card
        try model.save(directory: outputDirectory.appendingPathComponent(Self.modelFolder), storage: options.modelStorage.storage)
    }

    /// Writes metrics.csv, metrics.json and curves.svg into the output, each atomically.
    func writeMetrics(_ outcome: EpochOutcome) throws {
        let options = trainer.options, classes = model.card.classes
        try Data(TrainingMetrics.csv(outcome.history, classes: classes).utf8)
            .write(to: outputDirectory.appendingPathComponent("metrics.csv"), options: .atomic)
        try TrainingMetrics.json(outcome.history, classes: classes, bestEpoch: outcome.bestEpoch)
            .write(to: outputDirectory.appendingPathComponent("metrics.json"), options: .atomic)
        let title = "\(options.architecture.rawValue) \(options.inputSize)px, \(options.loss.rawValue), \(options.optimizer.rawValue)"
        try TrainingCurvesSVG(title: title, epochs: outcome.history.map {
            TrainingCurvesSVG.Epoch(epoch: $0.epoch, trainLoss: $0.trainLoss, validationLoss: $0.validationLoss, meanAUC: $0.meanAUC)
        }).write(to: outputDirectory.appendingPathComponent("curves.svg"))
    }
}

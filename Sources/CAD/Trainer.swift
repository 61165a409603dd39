import Evaluation
import Foundation
import Imaging
import Loader
import Models
import NN
import Store
import Tensor

/// What a run trains on: the database, the split, its training and validation parts and the
/// label source. Saved with the checkpoint (`--resume` takes the run's); the model card gets
/// the database's file name.
public struct TrainingSource: Codable, Equatable, Sendable {
    /// The database's path as given (relative paths to the directory the run was started in).
    public var database: String
    public var split: String
    public var trainPart: String
    public var validationPart: String
    /// Label source: nih, labeller, human or model:ID (`ThoraxDatabase.labelledImages`).
    public var labels: String
    public init(database: String, split: String, trainPart: String, validationPart: String, labels: String = "nih") {
        self.database = database
        self.split = split
        self.trainPart = trainPart
        self.validationPart = validationPart
        self.labels = labels
    }
}

/// Progress of a run, reported after every batch and during validation.
public struct TrainingProgress: Sendable {
    public enum Phase: String, Sendable { case training, validation }
    public var phase: Phase
    /// 1-based epoch and the number of epochs.
    public var epoch: Int
    public var epochs: Int
    /// Batches done in this epoch's phase and their count.
    public var batch: Int
    public var batches: Int
    /// Mean training loss of the epoch so far.
    public var loss: Double
    public var imagesPerSecond: Double
    /// Estimated seconds until the run ends (nil until measured).
    public var remainingSeconds: Double?
}

/// The paper's training (§4.1–4.2) of a `ChestModel` on one split part, validated on another
/// after every epoch: mini-batches with gradient accumulation, W-CEL or BCE, SGD or Adam with
/// a learning-rate schedule. The model with the best validation mean AUC is kept in
/// `<output>/model`; `<output>/metrics.csv`, `metrics.json` and `curves.svg` are rewritten after
/// every epoch; `<output>/checkpoint` holds everything `resume` needs to continue exactly
/// (weights, batch-norm statistics, optimizer state, the position in the run — epoch and batch
/// — from which the data order and augmentation draws are derived, and the history).
///
/// EfficientNet's drop connect is an option (`TrainingOptions.dropConnect`); mixed precision is not offered.
public final class Trainer {
    public let options: TrainingOptions
    public let source: TrainingSource
    public let model: ChestModel
    /// The training part: shuffled per epoch from the seed, augmented, the last incomplete
    /// batch dropped (a new order each epoch, so every image is seen).
    public let training: DataLoader
    /// The validation part in name order, without augmentation.
    public let validation: DataLoader
    public let outputDirectory: URL
    public let thoraxVersion: String
    let optimizer: Optimizer
    var state: TrainingState

    /// Sets up a run (or, with `resume`, the run saved in `output`/checkpoint).
    /// - Parameters:
    ///   - trainingImages, validationImages: the two parts' images (`ThoraxDatabase.labelledImages`);
    ///     files missing on disk or that cannot be decoded are left out and reported to `warning`.
    ///   - source: what the images are; saved with the checkpoint.
    ///   - resume: continue the run in `output`. `options` and `source` must be the run's
    ///     (`SavedRun(output:)` reads them), except `epochs` and `iterations`, which may be
    ///     raised to train longer, and `source.database`, which may name a moved copy; the two
    ///     parts must give the loaders the images they gave the run (`TrainingImagesIdentity`).
    /// - Throws: `TrainingError` for bad options, no images, an unusable checkpoint, or
    ///   (resuming) an option that conflicts with the run's or changed images; errors naming
    ///   the initial-weights file.
    public init(options: TrainingOptions, source: TrainingSource, trainingImages: [Store.LabelledImage],
                validationImages: [Store.LabelledImage], output: URL, resume: Bool, thoraxVersion: String,
                warning: @escaping @Sendable (LoaderWarning) -> Void = { _ in }) throws {
        var savedState: TrainingState?
        var savedRun: SavedRun?
        if resume {
            let directory = output.appendingPathComponent(Trainer.checkpointFolder)
            let saved = try TrainingState.read(directory: directory)
            let run = try SavedRun(state: saved, file: directory.appendingPathComponent(TrainingState.stateFile))
            try run.check(options: options, source: source)
            savedState = saved
            savedRun = run
        }
        try options.validate()
        self.options = options
        self.source = source
        self.thoraxVersion = thoraxVersion
        outputDirectory = output
        let card = Trainer.card(options: options, classes: Findings.classes, version: thoraxVersion)
        model = try ChestModel(card: card, seed: options.seed)
        if let rate = options.dropConnect, rate > 0, let backbone = model.network.backbone as? EfficientNetLite0 {
            try backbone.setDropConnect(rate: rate, seed: options.seed &+ 31)
        }
        let preprocessing = try ChestModel.preprocessing(for: card)
        var augmented = preprocessing
        if options.augment { augmented.augmentation = Augmentation() }
        // One background thread decodes and augments the next batches while the engine computes.
        training = DataLoader(images: trainingImages, configuration: LoaderConfiguration(
            batchSize: options.batchSize, preprocessing: augmented, seed: options.seed, shuffle: true, dropLast: true,
            threads: 1, prefetchBatches: 2, cacheDecodedImages: options.cacheImages), warning: warning)
        validation = DataLoader(images: validationImages, configuration: LoaderConfiguration(
            batchSize: options.batchSize, preprocessing: preprocessing, seed: options.seed, shuffle: false, dropLast: false,
            threads: 1, prefetchBatches: 2, cacheDecodedImages: options.cacheImages), warning: warning)
        try savedRun?.checkImages(training: training.images, validation: validation.images)
        guard training.images.count >= options.batchSize else {
            throw TrainingError.noImages("the training part has \(training.images.count) images with a file, fewer than one batch of \(options.batchSize)")
        }
        guard !validation.images.isEmpty else {
            throw TrainingError.noImages("the validation part has no images with a file")
        }
        let parameters = model.network.namedParameters().map(\.parameter)
        switch options.optimizer {
        case "sgd":
            optimizer = SGD(parameters: parameters, learningRate: Float(options.learningRate), momentum: Float(options.momentum),
                            weightDecay: Float(options.weightDecay))
        default:
            optimizer = Adam(parameters: parameters, learningRate: Float(options.learningRate), weightDecay: Float(options.weightDecay))
        }
        model.network.backbone.computesInputGradient = false
        if var savedState {
            // The new total of epochs or steps, and the database's path as now given, are saved from here on.
            savedState.options = options
            savedState.source = source
            state = savedState
            try restore(from: output.appendingPathComponent(Trainer.checkpointFolder))
        } else {
            if let weights = options.initialWeights {
                try model.loadInitialWeights(from: URL(fileURLWithPath: weights))
            }
            state = TrainingState(options: options, source: source, trainingImages: TrainingImagesIdentity(training.images),
                                  validationImages: TrainingImagesIdentity(validation.images))
        }
    }

    /// The folders of a run in its output: the checkpoint --resume reads, and the best model.
    public static let checkpointFolder = "checkpoint"
    public static let modelFolder = "model"

    /// The card a run starts from: architecture and head from the options, ImageNet
    /// normalization on 3 channels, thresholds 0.5 until validation sets them.
    static func card(options: TrainingOptions, classes: [String], version: String) -> ModelCard {
        ModelCard(architecture: options.architecture, classes: classes,
                  preprocessing: .init(inputSize: options.inputSize, channels: 3, mean: Normalization.imageNetMean,
                                       standardDeviation: Normalization.imageNetStandardDeviation),
                  head: .init(transitionChannels: options.transitionChannels, pooling: options.pooling, lseR: options.lseR),
                  thresholds: Array(repeating: 0.5, count: classes.count), thoraxVersion: version)
    }

    /// Epochs completed (with `resume`, those of the saved run too) and optimizer steps taken.
    public var completedEpochs: Int { state.epoch }
    public var steps: Int { state.steps }

    /// Batches per epoch (full ones only).
    public var batchesPerEpoch: Int { training.batchCount }

    /// The schedule for the options, advanced through the epochs already recorded.
    func schedule() -> LearningRateSchedule {
        let initial = Float(options.learningRate)
        var schedule: LearningRateSchedule
        switch options.schedule {
        case "step": schedule = StepSchedule(initial: initial, stepSize: options.stepEpochs, gamma: Float(options.gamma))
        case "cosine": schedule = CosineSchedule(initial: initial, period: options.epochs)
        case "plateau": schedule = ReduceOnPlateauSchedule(initial: initial, mode: .maximize, factor: Float(options.gamma),
                                                            patience: options.patience)
        default: schedule = ConstantSchedule(learningRate: initial)
        }
        for record in state.history { schedule.step(metric: record.meanAUC.map { Float($0) }) }
        return schedule
    }

    /// Runs the remaining epochs (or until `options.iterations` optimizer steps).
    /// - Returns: the epochs' records (all of them, resumed ones included).
    /// - Throws: `TrainingError.nonFiniteLoss` naming the epoch, batch and images; `ImagingError`
    ///   naming an image that cannot be decoded; write errors naming the file.
    @discardableResult
    public func run(progress: (TrainingProgress) -> Void = { _ in }) throws -> [EpochRecord] {
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        let lossFunction = options.loss
        let classCount = model.card.classes.count
        var throughput = ThroughputMeter()
        var loaderWaitSeconds = 0.0
        while state.epoch < options.epochs {
            if let limit = options.iterations, state.steps >= limit { break }
            let epochStarted = Date()
            let schedule = schedule()
            optimizer.learningRate = schedule.learningRate
            model.network.setTraining(true)
            var pending = 0
            loaderWaitSeconds = 0
            // Dropped at the end of the epoch, which stops its prefetch thread.
            let batches = training.batches(epoch: state.epoch, startingAt: state.batch)
            var started = DispatchTime.now().uptimeNanoseconds
            while state.batch < batchesPerEpoch {
                if let limit = options.iterations, state.steps >= limit { break }
                let waitStarted = DispatchTime.now().uptimeNanoseconds
                guard let batch = batches.next() else { break }
                if throughput.isWarm { loaderWaitSeconds += Double(DispatchTime.now().uptimeNanoseconds - waitStarted) / 1e9 }
                state.batch = batch.index + 1
                // A batch shrunk below two images by unreadable files cannot be batch-normalized.
                if batch.count >= 2 {
                    let input = try Tensor(shape: [batch.count, batch.channels, batch.height, batch.width], values: batch.images)
                    // Drop-connect masks drawn from the batch's number: a resumed run draws the same.
                    (model.network.backbone as? EfficientNetLite0)?.reseedDropConnect(
                        draw: UInt64(state.epoch * batchesPerEpoch + batch.index))
                    let logits = try model.network.forward(input)
                    let result: LossResult
                    do {
                        result = try Trainer.loss(lossFunction, logits: logits.toArray(), targets: Trainer.targets(batch.labels))
                    } catch is LossError {
                        throw TrainingError.nonFiniteLoss(epoch: state.epoch + 1, batch: state.batch, images: batch.names)
                    }
                    guard result.value.isFinite else {
                        throw TrainingError.nonFiniteLoss(epoch: state.epoch + 1, batch: state.batch, images: batch.names)
                    }
                    let scale = 1 / Float(options.accumulation)
                    _ = try model.network.backward(Tensor(shape: [batch.count, classCount], values: result.gradient.map { $0 * scale }))
                    pending += 1
                    state.lossSum += Double(result.value)
                    state.lossBatches += 1
                }
                if pending > 0 && (pending == options.accumulation || state.batch == batchesPerEpoch) {
                    try optimizer.step()
                    model.network.zeroGradients()
                    pending = 0
                    state.steps += 1
                }
                let now = DispatchTime.now().uptimeNanoseconds
                // The run's first batch builds the primitives: the meter leaves it out of
                // images/s once a later batch is timed, and reports it until then.
                throughput.record(images: batch.count, seconds: Double(now - started) / 1e9)
                started = now
                let rate = throughput.imagesPerSecond
                progress(TrainingProgress(phase: .training, epoch: state.epoch + 1, epochs: options.epochs, batch: state.batch,
                                          batches: batchesPerEpoch, loss: state.lossSum / Double(max(state.lossBatches, 1)),
                                          imagesPerSecond: rate, remainingSeconds: remainingSeconds(imagesPerSecond: rate)))
            }
            if state.batch < batchesPerEpoch {
                // Stopped by --iterations inside an epoch: save the position so --resume goes on from it.
                try saveCheckpoint()
                break
            }
            let (validationLoss, auc, scores, labels) = try validate(progress: progress)
            let meanAUC = AUC.mean(auc)
            let record = EpochRecord(epoch: state.epoch + 1, steps: state.steps, learningRate: Double(schedule.learningRate),
                                     trainLoss: state.lossSum / Double(max(state.lossBatches, 1)), validationLoss: validationLoss,
                                     validationAUC: auc.map(\.value), meanAUC: meanAUC,
                                     imagesPerSecond: throughput.imagesPerSecond,
                                     seconds: Date().timeIntervalSince(epochStarted), loaderWaitSeconds: loaderWaitSeconds)
            state.history.append(record)
            state.epoch += 1
            state.batch = 0
            state.lossSum = 0
            state.lossBatches = 0
            if state.bestEpoch == nil || (meanAUC ?? -1) > (state.bestMeanAUC ?? -1) {
                state.bestEpoch = record.epoch
                state.bestMeanAUC = meanAUC
                try saveBestModel(record: record, scores: scores, labels: labels)
            }
            try TrainingReport.write(state.history, classes: model.card.classes, bestEpoch: state.bestEpoch,
                                     title: "\(options.architecture) \(options.inputSize)px, \(options.loss), \(options.optimizer)",
                                     to: outputDirectory)
            try saveCheckpoint()
        }
        return state.history
    }

    /// Seconds left at `imagesPerSecond`, counting training images only.
    func remainingSeconds(imagesPerSecond: Double) -> Double? {
        guard imagesPerSecond > 0 else { return nil }
        var batchesLeft = (options.epochs - state.epoch) * batchesPerEpoch - state.batch
        if let limit = options.iterations {
            batchesLeft = min(batchesLeft, (limit - state.steps) * options.accumulation)
        }
        return Double(max(batchesLeft, 0) * options.batchSize) / imagesPerSecond
    }

    /// Targets from loader labels: 1/0, and −1 (uncertain or unknown) masked out.
    static func targets(_ labels: [Float]) -> MultiLabelTargets {
        guard labels.contains(where: { $0 < 0 }) else { return MultiLabelTargets(values: labels) }
        return MultiLabelTargets(values: labels.map { max($0, 0) }, mask: labels.map { $0 < 0 ? 0 : 1 })
    }

    static func loss(_ name: String, logits: [Float], targets: MultiLabelTargets) throws -> LossResult {
        name == "bce" ? try BinaryCrossEntropyWithLogits()(logits: logits, targets: targets)
            : try WeightedCrossEntropy(reduction: .mean)(logits: logits, targets: targets)
    }

    /// The validation part in evaluation mode: mean loss, AUC per class, scores and labels.
    func validate(progress: (TrainingProgress) -> Void) throws -> (loss: Double, auc: [AUC], scores: [[Float]], labels: [[Float]]) {
        model.network.setTraining(false)
        defer { model.network.setTraining(true) }
        let classCount = model.card.classes.count
        var scores: [[Float]] = []
        var labels: [[Float]] = []
        var lossSum = 0.0
        var batches = 0
        for batch in validation.batches(epoch: 0) {
            let logits = try model.network.forward(Tensor(shape: [batch.count, batch.channels, batch.height, batch.width],
                                                          values: batch.images)).toArray()
            if let result = try? Trainer.loss(options.loss, logits: logits, targets: Trainer.targets(batch.labels)) {
                lossSum += Double(result.value)
                batches += 1
            }
            for row in 0 ..< batch.count {
                scores.append((0 ..< classCount).map { ChestModel.sigmoid(logits[row * classCount + $0]) })
                labels.append(Array(batch.labels[row * classCount ..< (row + 1) * classCount]))
            }
            progress(TrainingProgress(phase: .validation, epoch: state.epoch + 1, epochs: options.epochs, batch: batch.index + 1,
                                      batches: validation.batchCount, loss: state.lossSum / Double(max(state.lossBatches, 1)),
                                      imagesPerSecond: 0, remainingSeconds: nil))
        }
        let auc = try (0 ..< classCount).map { c -> AUC in
            // Uncertain or unknown labels (−1) take no part in the AUC.
            let kept = labels.indices.filter { labels[$0][c] >= 0 }
            return try AUC(scores: kept.map { Double(scores[$0][c]) }, labels: kept.map { labels[$0][c] == 1 })
        }
        return (batches > 0 ? lossSum / Double(batches) : .nan, auc, scores, labels)
    }
}

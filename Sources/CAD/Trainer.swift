import Foundation
import Imaging
import Models
import NN
import Store
import Tensor

/// Where the training images came from, for the model card.
public struct TrainingSource: Codable, Equatable, Sendable {
    public var database: String
    public var split: String
    public var trainPart: String
    public var validationPart: String
    public init(database: String, split: String, trainPart: String, validationPart: String) {
        self.database = database
        self.split = split
        self.trainPart = trainPart
        self.validationPart = validationPart
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
/// Not done: drop-connect / dropout (none in these models), mixed precision.
public final class Trainer {
    public let options: TrainingOptions
    public let source: TrainingSource
    public let model: ChestModel
    public let training: TrainingBatches
    public let validation: TrainingBatches
    public let outputDirectory: URL
    public let thoraxVersion: String
    let optimizer: Optimizer
    var state: TrainingState

    /// Sets up a run (or, with `resume`, the run saved in `output`/checkpoint).
    /// - Parameters:
    ///   - trainingItems, validationItems: the two parts' images (files missing on disk are
    ///     left out and counted in `training.missing` / `validation.missing`).
    ///   - resume: continue the run in `output`; the saved options are used, except `epochs`
    ///     and `iterations`, which may be raised to train longer.
    /// - Throws: `TrainingError` for bad options, no images or an unusable checkpoint;
    ///   errors naming the initial-weights file.
    public init(options: TrainingOptions, source: TrainingSource, trainingItems: [LabeledImage],
                validationItems: [LabeledImage], output: URL, resume: Bool, thoraxVersion: String) throws {
        var options = options
        var savedState: TrainingState?
        if resume {
            let saved = try TrainingState.read(directory: output.appendingPathComponent(Trainer.checkpointFolder))
            let requested = options
            options = saved.options
            options.epochs = requested.epochs
            options.iterations = requested.iterations
            savedState = saved
        }
        try options.validate()
        self.options = options
        self.source = source
        self.thoraxVersion = thoraxVersion
        outputDirectory = output
        let card = Trainer.card(options: options, classes: Findings.classes, version: thoraxVersion)
        model = try ChestModel(card: card, seed: options.seed)
        var preprocessing = try ChestModel.preprocessing(for: card)
        if options.augment { preprocessing.augmentation = Augmentation() }
        training = TrainingBatches(items: trainingItems, preprocessing: preprocessing, keepDecoded: options.cacheImages)
        validation = TrainingBatches(items: validationItems, preprocessing: preprocessing, keepDecoded: options.cacheImages)
        guard training.count >= 2 else {
            throw TrainingError.noImages("the training part has \(training.count) usable images (\(training.missing.count) missing on disk); at least 2 are needed")
        }
        guard validation.count >= 1 else {
            throw TrainingError.noImages("the validation part has no usable images (\(validation.missing.count) missing on disk)")
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
        if let savedState {
            state = savedState
            try restore(from: output.appendingPathComponent(Trainer.checkpointFolder))
        } else {
            if let weights = options.initialWeights {
                try model.loadInitialWeights(from: URL(fileURLWithPath: weights))
            }
            state = TrainingState(options: options)
        }
    }

    static let checkpointFolder = "checkpoint"
    static let modelFolder = "model"

    /// The card a run starts from: architecture and head from the options, ImageNet
    /// normalization on 3 channels, thresholds 0.5 until validation sets them.
    static func card(options: TrainingOptions, classes: [String], version: String) -> ModelCard {
        ModelCard(architecture: options.architecture, classes: classes,
                  preprocessing: .init(inputSize: options.inputSize, channels: 3, mean: Normalization.imageNetMean,
                                       standardDeviation: Normalization.imageNetStandardDeviation),
                  head: .init(transitionChannels: options.transitionChannels, pooling: options.pooling, lseR: options.lseR),
                  thresholds: Array(repeating: 0.5, count: classes.count), thoraxVersion: version)
    }

    /// Batches per epoch: full batches plus a last partial one of at least two images (batch
    /// norm needs two); a single leftover image waits for the next epoch's order.
    public var batchesPerEpoch: Int {
        let full = training.count / options.batchSize
        return full + (training.count % options.batchSize >= 2 ? 1 : 0)
    }

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
        var timedImages = 0
        var timedSeconds = 0.0
        while state.epoch < options.epochs {
            if let limit = options.iterations, state.steps >= limit { break }
            let epochStarted = Date()
            let schedule = schedule()
            optimizer.learningRate = schedule.learningRate
            model.network.setTraining(true)
            let order = training.order(epoch: state.epoch, seed: options.seed)
            var pending = 0
            while state.batch < batchesPerEpoch {
                if let limit = options.iterations, state.steps >= limit { break }
                let started = DispatchTime.now().uptimeNanoseconds
                let indices = Array(order[state.batch * options.batchSize ..< min((state.batch + 1) * options.batchSize, order.count)])
                let batch = try training.batch(indices, epoch: state.epoch, seed: options.seed, augment: options.augment)
                let input = try Tensor(shape: [batch.count, 3, options.inputSize, options.inputSize], values: batch.images)
                let logits = try model.network.forward(input)
                let targets = MultiLabelTargets(values: batch.labels, mask: batch.mask)
                let result: LossResult
                do {
                    result = try Trainer.loss(lossFunction, logits: logits.toArray(), targets: targets)
                } catch is LossError {
                    throw TrainingError.nonFiniteLoss(epoch: state.epoch + 1, batch: state.batch + 1, images: batch.names)
                }
                guard result.value.isFinite else {
                    throw TrainingError.nonFiniteLoss(epoch: state.epoch + 1, batch: state.batch + 1, images: batch.names)
                }
                let scale = 1 / Float(options.accumulation)
                _ = try model.network.backward(Tensor(shape: [batch.count, classCount], values: result.gradient.map { $0 * scale }))
                pending += 1
                state.batch += 1
                if pending == options.accumulation || state.batch == batchesPerEpoch {
                    try optimizer.step()
                    model.network.zeroGradients()
                    pending = 0
                    state.steps += 1
                }
                state.lossSum += Double(result.value)
                state.lossBatches += 1
                timedImages += batch.count
                timedSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                let rate = Double(timedImages) / max(timedSeconds, 1e-9)
                progress(TrainingProgress(phase: .training, epoch: state.epoch + 1, epochs: options.epochs, batch: state.batch,
                                          batches: batchesPerEpoch, loss: state.lossSum / Double(state.lossBatches),
                                          imagesPerSecond: rate, remainingSeconds: remainingSeconds(imagesPerSecond: rate)))
            }
            if state.batch < batchesPerEpoch {
                // Stopped by --iterations inside an epoch: save the position so --resume goes on from it.
                try saveCheckpoint()
                break
            }
            let (validationLoss, auc, scores) = try validate(progress: progress)
            let meanAUC = AUC.mean(auc)
            let record = EpochRecord(epoch: state.epoch + 1, steps: state.steps, learningRate: Double(schedule.learningRate),
                                     trainLoss: state.lossSum / Double(max(state.lossBatches, 1)), validationLoss: validationLoss,
                                     validationAUC: auc.map(\.value), meanAUC: meanAUC,
                                     imagesPerSecond: Double(timedImages) / max(timedSeconds, 1e-9),
                                     seconds: Date().timeIntervalSince(epochStarted))
            state.history.append(record)
            state.epoch += 1
            state.batch = 0
            state.lossSum = 0
            state.lossBatches = 0
            if state.bestEpoch == nil || (meanAUC ?? -1) > (state.bestMeanAUC ?? -1) {
                state.bestEpoch = record.epoch
                state.bestMeanAUC = meanAUC
                try saveBestModel(record: record, scores: scores)
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

    static func loss(_ name: String, logits: [Float], targets: MultiLabelTargets) throws -> LossResult {
        name == "bce" ? try BinaryCrossEntropyWithLogits()(logits: logits, targets: targets)
            : try WeightedCrossEntropy(reduction: .mean)(logits: logits, targets: targets)
    }

    /// The validation part in evaluation mode: mean loss, AUC per class, and the scores.
    func validate(progress: (TrainingProgress) -> Void) throws -> (loss: Double, auc: [AUC], scores: [[Float]]) {
        model.network.setTraining(false)
        defer { model.network.setTraining(true) }
        let classCount = model.card.classes.count
        var scores: [[Float]] = []
        var labels: [[Int]] = []
        var lossSum = 0.0
        var batches = 0
        let count = validation.count
        let batchCount = (count + options.batchSize - 1) / options.batchSize
        for start in stride(from: 0, to: count, by: options.batchSize) {
            let indices = Array(start ..< min(start + options.batchSize, count))
            let batch = try validation.batch(indices, epoch: 0, seed: options.seed, augment: false)
            let logits = try model.network.forward(Tensor(shape: [batch.count, 3, options.inputSize, options.inputSize],
                                                          values: batch.images)).toArray()
            if let result = try? Trainer.loss(options.loss, logits: logits, targets: MultiLabelTargets(values: batch.labels, mask: batch.mask)) {
                lossSum += Double(result.value)
                batches += 1
            }
            for row in 0 ..< batch.count {
                scores.append((0 ..< classCount).map { ChestModel.sigmoid(logits[row * classCount + $0]) })
                labels.append(validation.images[indices[row]].labels)
            }
            progress(TrainingProgress(phase: .validation, epoch: state.epoch + 1, epochs: options.epochs, batch: start / options.batchSize + 1,
                                      batches: batchCount, loss: state.lossSum / Double(max(state.lossBatches, 1)),
                                      imagesPerSecond: 0, remainingSeconds: nil))
        }
        let auc = try (0 ..< classCount).map { c -> AUC in
            // Uncertain labels (−1) take no part in the AUC.
            let kept = labels.indices.filter { labels[$0][c] >= 0 }
            return try AUC(scores: kept.map { Double(scores[$0][c]) }, labels: kept.map { labels[$0][c] == 1 })
        }
        return (batches > 0 ? lossSum / Double(batches) : .nan, auc, scores)
    }
}

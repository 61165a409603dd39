import Distributed
import Foundation
import Imaging
import Loader
import Models
import NN
import SafeTensors
import Store

/// The paper's training (§4.1–4.2) of a weakly supervised network on one split part, validated
/// on another after every epoch: mini-batches with gradient accumulation, W-CEL or BCE, SGD or
/// Adam with a learning-rate schedule. `checkpointDirectory` holds everything a resumed run
/// needs to continue exactly (weights, batch-norm statistics, optimizer state, the position in
/// the run — epoch and batch — from which the data order and augmentation draws are derived,
/// and the history); it is rewritten after every epoch, after the `epochEnded` callback.
///
/// EfficientNet's drop connect is an option (`TrainingOptions.dropConnect`); mixed precision is not offered.
///
/// Given a communicator (a process started by `mpirun` or `srun`), the trainer is one rank of a
/// data-parallel run (Trainer+DataParallel.swift): every rank draws the same epoch order and
/// takes its strided share of each global batch of `options.batchSize`, the gradients are
/// summed over the ranks while backward runs, and the optimizer steps alike everywhere, so N
/// ranks train as one process does (exactly so with synchronized batch norm). Rank 0 alone
/// calls `epochEnded` and writes the checkpoint.
public final class Trainer {
    public let options: TrainingOptions
    public let source: TrainingSource
    /// The network trained in place: a backbone of `options.architecture` and the head.
    public let network: WeaklySupervisedModel
    /// The training part: shuffled per epoch from the seed, augmented, the last incomplete
    /// batch dropped (a new order each epoch, so every image is seen).
    public let training: DataLoader
    /// The validation part in name order, without augmentation.
    public let validation: DataLoader
    public let checkpointDirectory: URL
    let optimizer: Optimizer
    var state: TrainingState
    /// The job this trainer is one rank of; nil in a single process.
    let communicator: Communicator?
    /// The data-parallel machinery, set up (collectively) when `run` starts.
    var replica: DataParallel?

    /// Sets up a run (or, with `resume`, the run saved in `checkpointDirectory`).
    /// - Parameters:
    ///   - network: freshly initialized for `options` (architecture and head); a resumed run
    ///     overwrites its weights from the checkpoint, a new one loads `options.initialWeights`.
    ///   - preprocessing: how the network's images are prepared; the training part adds
    ///     augmentation when `options.augment` is set.
    ///   - trainingImages, validationImages: the two parts' images (`ThoraxDatabase.labelledImages`);
    ///     files missing on disk or that cannot be decoded are left out and reported to `warning`.
    ///   - source: what the images are; saved with the checkpoint.
    ///   - resume: continue the saved run. `options` and `source` must be the run's
    ///     (`SavedRun(output:)` reads them), except `epochs` and `iterations`,
    ///     which may be raised to train longer, and `source.database`, which may name a moved
    ///     copy; the two parts must give the loaders the images they gave the run
    ///     (`TrainingImagesIdentity`). The checkpoint does not depend on the number of ranks.
    ///   - communicator: the data-parallel job this process is a rank of, or nil. Setting up
    ///     makes no collective call, so that a rank that fails here can tell the others first
    ///     (`Communicator.lowestRank(where:)`); `run` starts with the first one.
    /// - Throws: `TrainingError` for bad options, no images, an unusable checkpoint, or
    ///   (resuming) an option that conflicts with the run's or changed images; errors naming
    ///   the initial-weights file.
    public init(network: WeaklySupervisedModel, preprocessing: Preprocessing, options: TrainingOptions,
                source: TrainingSource, trainingImages: [Store.LabelledImage], validationImages: [Store.LabelledImage],
                checkpointDirectory: URL, resume: Bool, communicator: Communicator? = nil,
                warning: @escaping @Sendable (LoaderWarning) -> Void = { _ in }) throws {
        var savedState: TrainingState?
        var savedRun: SavedRun?
        if resume {
            let saved = try TrainingState.read(directory: checkpointDirectory)
            let run = try SavedRun(state: saved, file: checkpointDirectory.appendingPathComponent(TrainingState.stateFile))
            try run.check(options: options, source: source)
            savedState = saved
            savedRun = run
        }
        try options.validate()
        self.options = options
        self.source = source
        self.network = network
        self.checkpointDirectory = checkpointDirectory
        self.communicator = communicator
        if let communicator {
            let perRank = options.batchNorm == nil || options.batchNorm == .batch ? 2 : 1
            guard options.batchSize >= perRank * communicator.size else {
                throw TrainingError.invalidOption(.batchSize, "\(options.batchSize) over \(communicator.size) ranks leaves fewer than \(perRank) images per rank\(perRank == 2 ? " (batch norm needs two; synchronized or frozen batch norm needs one)" : ""); give at least \(perRank * communicator.size)")
            }
        }
        switch options.batchNorm ?? .batch {
        case .batch: break
        case .frozen: network.setBatchNormStatistics(.frozen)
        case .synchronized:
            network.setBatchNormStatistics(.synchronized(communicator.map { ReplicaBatchNormSum(communicator: $0) } ?? SingleReplica()))
        }
        // Each rank decodes only its strided share of every global batch.
        var share: (@Sendable (Int) -> [Int])?
        if let shard = communicator?.shard { share = { Array(shard.positions(inBatchOf: $0)) } }
        if let rate = options.dropConnect, rate > 0, let backbone = network.backbone as? EfficientNetLite0 {
            try backbone.setDropConnect(rate: rate, seed: options.seed &+ 31)
        }
        var augmented = preprocessing
        if options.augment { augmented.augmentation = Augmentation() }
        // One background thread decodes and augments the next batches while the engine computes.
        training = DataLoader(images: trainingImages, configuration: LoaderConfiguration(
            batchSize: options.batchSize, preprocessing: augmented, seed: options.seed, shuffle: true, dropLast: true,
            threads: 1, prefetchBatches: 2, cacheDecodedImages: options.cacheImages, share: share), warning: warning)
        validation = DataLoader(images: validationImages, configuration: LoaderConfiguration(
            batchSize: options.batchSize, preprocessing: preprocessing, seed: options.seed, shuffle: false, dropLast: false,
            threads: 1, prefetchBatches: 2, cacheDecodedImages: options.cacheImages, share: share), warning: warning)
        try savedRun?.checkImages(training: training.images, validation: validation.images)
        guard training.images.count >= options.batchSize else {
            throw TrainingError.noImages("the training part has \(training.images.count) images with a file, fewer than one batch of \(options.batchSize)")
        }
        guard !validation.images.isEmpty else {
            throw TrainingError.noImages("the validation part has no images with a file")
        }
        let parameters = network.namedParameters().map(\.parameter)
        switch options.optimizer {
        case .sgd:
            optimizer = SGD(parameters: parameters, learningRate: Float(options.learningRate), momentum: Float(options.momentum),
                            weightDecay: Float(options.weightDecay))
        case .adam:
            optimizer = Adam(parameters: parameters, learningRate: Float(options.learningRate), weightDecay: Float(options.weightDecay))
        }
        network.backbone.computesInputGradient = false
        if var savedState {
            // The new total of epochs or steps, and the database's path as now given, are saved from here on.
            savedState.options = options
            savedState.source = source
            state = savedState
            try restore()
        } else {
            if let weights = options.initialWeights {
                try Checkpoint.loadBackbone(into: network, from: SafeTensorsFile(contentsOf: URL(fileURLWithPath: weights)))
            }
            state = TrainingState(options: options, source: source, trainingImages: TrainingImagesIdentity(training.images),
                                  validationImages: TrainingImagesIdentity(validation.images))
        }
    }

    /// The folder of a run's output that holds its checkpoint.
    public static let checkpointFolder = "checkpoint"

    /// Epochs completed (with `resume`, those of the saved run too) and optimizer steps taken.
    public var completedEpochs: Int { state.epoch }
    public var steps: Int { state.steps }

    /// Batches per epoch (full ones only).
    public var batchesPerEpoch: Int { training.batchCount }

    /// This process's rank and the number of ranks (0 and 1 in a single process).
    public var rank: Int { communicator?.rank ?? 0 }
    public var ranks: Int { communicator?.size ?? 1 }

    /// The schedule for the options, advanced through the epochs already recorded.
    func schedule() -> LearningRateSchedule {
        let initial = Float(options.learningRate)
        var schedule: LearningRateSchedule
        switch options.schedule {
        case .step: schedule = StepSchedule(initial: initial, stepSize: options.stepEpochs, gamma: Float(options.gamma))
        case .cosine: schedule = CosineSchedule(initial: initial, period: options.epochs)
        case .plateau: schedule = ReduceOnPlateauSchedule(initial: initial, mode: .maximize, factor: Float(options.gamma),
                                                           patience: options.patience)
        case .constant: schedule = ConstantSchedule(learningRate: initial)
        }
        for record in state.history { schedule.step(metric: record.meanAUC.map { Float($0) }) }
        return schedule
    }
}

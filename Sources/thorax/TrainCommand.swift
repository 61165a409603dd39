import ArgumentParser
import Distributed
import Evaluation
import Pipeline
import Foundation
import Loader
import Models
import Store
import Tensor
import Training

/// `thorax train`: the paper's weakly supervised training on a database split.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a chest X-ray classifier (backbone + the paper's weakly supervised head) on a database split.",
        discussion: """
        Trains on SPLIT:TRAIN and validates on SPLIT:VALIDATION after every epoch (AUC per \
        class). By default the split `thorax db import-nih` writes: official, training on \
        train_val and validating on test (so the test images choose the best epoch; `thorax db \
        split --within official:train_val` makes a validation part that keeps them out, as below). \
        For any other split the parts default to train and validation, the names `thorax db \
        split` gives. Images whose file is missing are left out and counted.

        Writes into --output: model/ (the best epoch's model directory: model.safetensors + \
        model.json), metrics.csv, metrics.json, curves.svg (loss and AUC curves), and checkpoint/ \
        (weights, optimizer state, position in the run, and the run's record: every option below \
        but --threads, the database path as given, and per part the count and SHA-256 of the \
        names and labels of its images), from which --resume continues exactly. A new run is \
        refused when --output holds a run already; the database must exist (it is only read).

        --resume continues the run in --output: options left out take the run's values; an \
        option given with another value than the run's is an error. Only --epochs (the new \
        total), --iterations (the new limit of optimizer steps) and --notes may change (with --schedule \
        cosine, the following epochs take the rates of the new total's curve). --threads is not \
        part of the run (oneDNN may then sum in another order, so the last bits may differ), and \
        --database may name a moved copy whose parts give the same images and labels. With \
        --folds, --resume continues each fold and the model on every film from its checkpoint \
        (options left out take the first fold's record; --folds and --ensemble as the run had \
        them; --members and --score-standardization left out take the run's, and more --members \
        trains only the new networks), then computes the out-of-fold figures, \
        the thresholds and the card anew: a finished run takes another --threshold-rule without \
        training again.

        Several processes, on one machine or many, train one model data-parallel when started \
        by Open MPI's mpirun or Slurm's srun: --batch-size is then the global batch, each rank \
        decodes and computes its strided share of it, the gradients are summed over the ranks \
        while backward runs, and rank 0 alone prints and writes --output. Every rank reads the \
        database, the images and, with --resume, the checkpoint at the same paths (a shared file \
        system); a resumed run may use another number of ranks. With --sync-batchnorm the ranks \
        train exactly as one process does on the same batches; without it each rank's batch \
        norm uses its own share's statistics, as PyTorch's DistributedDataParallel.

        Example:
          thorax db import-nih --images ~/nih/images ...
          thorax db split --name bundled --ratios 85,15 --parts train,validation \\
              --seed 1 --within official:train_val
          thorax train --split bundled --arch efficientnet-lite0 --size 224 \\
              --batch-size 16 --epochs 5 --output runs/lite0
          thorax train --output runs/lite0 --resume --epochs 8
          mpirun -np 8 --hostfile hosts thorax train --split bundled --arch resnet50 \
              --batch-size 64 --threads 4 --sync-batchnorm --output runs/r50
        """
    )

    // Every option of the run is optional: nil means "not given", so that --resume can tell
    // an option left out (the run's value) from one given (checked against it). The defaults
    // are TrainingOptions' and `defaultSource(split:)`'s.
    @Option(help: "The database file (default \(ThoraxDatabase.defaultFileName)).")
    var database: String?
    @Option(help: "The split whose parts are used (default \(ThoraxDatabase.officialSplit), which db import-nih writes).")
    var split: String?
    @Option(help: "The part trained on (default \(ThoraxDatabase.officialTrainValidation) of the official split, train of others).")
    var trainPart: String?
    @Option(help: "The part validated on after each epoch (default \(ThoraxDatabase.officialTest) of the official split, validation of others).")
    var validationPart: String?
    @Option(help: "Label source: nih, labeller, human or model:ID (default nih).")
    var labels: String?

    @Option(help: "Backbone (default \(Self.defaults.architecture.rawValue)).")
    var arch: Architecture?
    @Option(help: "How much the backbone reduces the input: 32, or 16 with the last stride-2 stage dilated instead (a 256-pixel input gives 16×16 heatmaps; resnet50, resnet101, efficientnet-lite0) (default 32).")
    var outputStride: OutputStride?
    @Option(help: "Cross-validate: K patient-level folds of --train-part (from --seed), one model per fold, the out-of-fold probabilities stored in the database as the run's model's predictions, out-of-fold AUC per class with bootstrap intervals, thresholds by --threshold-rule on them; --validation-part is not used. --output/model is one model trained on every film, or with --ensemble the K fold models.")
    var folds: Int?
    @Flag(help: "With --folds: --output/model is the K fold models as one ensemble (mean probabilities and heatmaps) instead of a model trained again on every film.")
    var ensemble = false
    @Option(help: "With --folds: how thresholds are chosen on the out-of-fold predictions: max-f1 (F1 maximized per class), specificity-90 (the lowest threshold keeping specificity at least 0.90) or youden (default max-f1).")
    var thresholdRule: ThresholdRule?
    @Option(help: "With --folds: networks trained per fold and on every film, with seeds --seed, --seed + 1, … (the folds stay those of --seed); each fold's networks predict it together, and --output/model is the ensemble of those trained on every film. A resumed run keeps its count unless given more, which trains the new ones (default 1).")
    var members: Int?
    @Option(help: "With --folds: how each network's scores are put on one scale: training-films (each class's logit minus its mean, over its standard deviation, on the films the network trained on: fold models then pool out of fold, and thresholds chosen on them carry over to the final model) or none (default none; a resumed run keeps its choice).")
    var scoreStandardization: ScoreStandardizationChoice?
    @Option(help: "With --folds: the source commit to record in the model card (scripts/train-bundled-model passes git's).")
    var commit: String?
    @Option(help: "Backbone weights to start from (safetensors: torchvision names, or the converted EfficientNet-Lite0 file); the classifier in it is ignored. Default: random initialization.")
    var initialWeights: String?
    @Option(help: "D, the transition layer's channels (default \(Self.defaults.transitionChannels)).")
    var transitionChannels: Int?
    @Option(help: "Global pooling (default \(Self.defaults.pooling.rawValue)).")
    var pooling: HeadPooling?
    @Option(help: "r of log-sum-exp pooling (default \(Self.defaults.lseR)).")
    var lseR: Float?
    @Option(help: "Loss: the paper's weighted cross-entropy (wcel) or plain binary cross-entropy (bce) (default \(Self.defaults.loss.rawValue)).")
    var loss: LossFunction?
    @Option(help: "Input image side in pixels: 224, 512, 1024, any multiple of 32 (default \(Self.defaults.inputSize)).")
    var size: Int?
    @Option(help: "Images per batch (default \(Self.defaults.batchSize)); under mpirun or srun the global batch, which the ranks share.")
    var batchSize: Int?
    @Option(help: "Batches per optimizer step, gradient accumulation (default \(Self.defaults.accumulation)).")
    var accumulation: Int?
    @Flag(help: "Batch norm in training normalizes with the whole global batch's statistics over every rank (synchronized batch norm; default: each rank's share's).")
    var syncBatchnorm = false
    @Flag(help: "Batch norm in training normalizes with its running statistics and leaves them as they are (γ and β still train).")
    var freezeBatchnorm = false
    @Option(help: "Optimizer: sgd (momentum \(Self.defaults.momentum)) or adam (default \(Self.defaults.optimizer.rawValue)).")
    var optimizer: OptimizerAlgorithm?
    @Option(help: "Initial learning rate (default \(Self.defaults.learningRate)).")
    var learningRate: Double?
    @Option(help: "Weight decay (default \(Self.defaults.weightDecay)).")
    var weightDecay: Double?
    @Option(help: "Learning-rate schedule (default \(Self.defaults.schedule.rawValue)).")
    var schedule: ScheduleKind?
    @Option(help: "step: epochs between reductions (default \(Self.defaults.stepEpochs)).")
    var stepEpochs: Int?
    @Option(help: "step/plateau: factor of each reduction (default \(Self.defaults.gamma)).")
    var gamma: Double?
    @Option(help: "Epochs to train in all (default \(Self.defaults.epochs); with --resume the run's, and a larger one trains on).")
    var epochs: Int?
    @Option(help: "Stop after this many optimizer steps in all (default: no limit; with --resume the run's).")
    var iterations: Int?
    @Option(help: "Seed of initialization, data order and augmentation (default \(Self.defaults.seed)).")
    var seed: UInt64?
    @Flag(inversion: .prefixedNo, help: "Augment the training images: random resized crop, small rotation, brightness/contrast (default on).")
    var augmentation: Bool?
    @Option(help: "EfficientNet-Lite0 only: drop connect rate in training (the package's is 0.2; default off).")
    var dropConnect: Float?
    @Option(help: "Weights of the best model in --output/model (default \(Self.defaults.modelStorage.rawValue)).")
    var modelFormat: WeightFormat?
    @Option(help: "Text for the model card's notes (what the model is and is not fit for).")
    var notes: String?
    @Option(help: "Threads for oneDNN (default: all cores); not part of the run, may differ on --resume.")
    var threads: Int?
    @Option(help: "Output directory.")
    var output: String
    @Flag(help: "Continue the run saved in --output: options left out take the run's values, options given must equal them, except --epochs and --iterations.")
    var resume = false

    static let defaults = TrainingOptions()

    /// What a new run trains on when the command line does not say: the official split's
    /// parts, or for another split the parts `thorax db split --parts train,validation` (and
    /// its default three parts) name.
    static func defaultSource(split: String) -> TrainingSource {
        let official = split == ThoraxDatabase.officialSplit
        return TrainingSource(database: ThoraxDatabase.defaultFileName, split: split,
                              trainPart: official ? ThoraxDatabase.officialTrainValidation : "train",
                              validationPart: official ? ThoraxDatabase.officialTest : "validation", labels: "nih")
    }

    /// `base` with the options given on the command line in place of its values.
    func options(over base: TrainingOptions) -> TrainingOptions {
        var options = base
        if let arch { options.architecture = arch }
        if let outputStride { options.outputStride = outputStride }
        if let initialWeights { options.initialWeights = initialWeights }
        if let transitionChannels { options.transitionChannels = transitionChannels }
        if let pooling { options.pooling = pooling }
        if let lseR { options.lseR = lseR }
        if let loss { options.loss = loss }
        if let size { options.inputSize = size }
        if let batchSize { options.batchSize = batchSize }
        if let accumulation { options.accumulation = accumulation }
        if syncBatchnorm { options.batchNorm = .synchronized }
        if freezeBatchnorm { options.batchNorm = .frozen }
        if let optimizer { options.optimizer = optimizer }
        if let learningRate { options.learningRate = learningRate }
        if let weightDecay { options.weightDecay = weightDecay }
        if let schedule { options.schedule = schedule }
        if let stepEpochs { options.stepEpochs = stepEpochs }
        if let gamma { options.gamma = gamma }
        if let epochs { options.epochs = epochs }
        if let iterations { options.iterations = iterations }
        if let seed { options.seed = seed }
        if let augmentation { options.augment = augmentation }
        if let dropConnect { options.dropConnect = dropConnect }
        if let modelFormat { options.modelStorage = modelFormat }
        if let notes { options.notes = notes }
        return options
    }

    /// `base` with the database, split, parts and labels given on the command line.
    func source(over base: TrainingSource) -> TrainingSource {
        var source = base
        if let database { source.database = database }
        if let split { source.split = split }
        if let trainPart { source.trainPart = trainPart }
        if let validationPart { source.validationPart = validationPart }
        if let labels { source.labels = labels }
        return source
    }

    func validate() throws {
        try validateFolds()
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if syncBatchnorm && freezeBatchnorm { throw ValidationError("give --sync-batchnorm or --freeze-batchnorm, not both") }
    }

    func run() throws {
        if let folds { return try Self.namingFlags { try crossValidate(folds: folds) } }
        guard Communicator.isDistributed() else {
            return try Self.namingFlags { try train(prepare(communicator: nil)) }
        }
        try runDistributed()
    }

    /// Runs `body`, with the training errors in the words of this command's flags.
    static func namingFlags<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as TrainingError {
            // An option out of range is a usage error (status 64), as ArgumentParser's own are.
            if case .invalidOption = error { throw ValidationError(TrainCommandError(error).description) }
            throw TrainCommandError(error)
        }
    }

    /// A run set up and ready to train, with the warnings the setup collected.
    struct PreparedRun {
        let run: TrainingRun
        let warnings: WarningCounter
    }

    /// One rank of a run that mpirun or srun started (`DistributedRun`).
    func runDistributed() throws {
        try DistributedRun.run(prepare: { communicator in
            try Self.namingFlags { try prepare(communicator: communicator) }
        }, work: { prepared, _ in
            try Self.namingFlags { try train(prepared) }
            return .success
        })
    }

    /// Checks every input before any work and sets the run up (no collective call).
    func prepare(communicator: Communicator?) throws -> PreparedRun {
        let outputURL = URL(fileURLWithPath: output)
        // Resuming: the run's record first, so that a conflicting option stops before any work.
        let saved = resume ? try SavedRun(output: outputURL) : nil
        let options = self.options(over: saved?.options ?? Self.defaults)
        let source = self.source(over: saved?.source ?? Self.defaultSource(split: split ?? ThoraxDatabase.officialSplit))
        try saved?.check(options: options, source: source)
        try options.validate()
        if !resume { try Self.requireNewRunFolder(output) }
        if let weights = options.initialWeights, saved == nil { try requireInputFile(weights, option: "--initial-weights") }
        let store: ThoraxDatabase
        do {
            store = try ThoraxDatabase(existingAt: source.database, access: .read)
        } catch let error as StoreError where saved != nil && database == nil {
            throw InputFileError("\(error.description) (the run's database, as given when it started; name it with --database)")
        }
        try requireSplit(source.split, parts: [("--train-part", source.trainPart), ("--validation-part", source.validationPart)],
                         in: store, path: source.database)
        let trainingImages = try store.labelledImages(split: source.split, part: source.trainPart, source: source.labels)
        let validationImages = try store.labelledImages(split: source.split, part: source.validationPart, source: source.labels)
        try requireLabels(trainingImages, split: source.split, part: source.trainPart, source: source.labels, path: source.database)
        let warnings = WarningCounter()
        let run = try TrainingRun(options: options, source: source,
                                  trainingImages: trainingImages, validationImages: validationImages,
                                  output: outputURL, resume: resume, thoraxVersion: ThoraxVersion.string,
                                  communicator: communicator, engineOptions: EngineOptions(threads: threads),
                                  warning: { warnings.record($0) })
        return PreparedRun(run: run, warnings: warnings)
    }

    /// Trains the prepared run; rank 0 prints (other ranks only name images they cannot read).
    func train(_ prepared: PreparedRun) throws {
        let (run, warnings) = (prepared.run, prepared.warnings)
        let trainer = run.trainer, options = trainer.options, source = trainer.source
        let reports = trainer.rank == 0
        warnings.report(missing: reports)
        if resume && reports {
            print("resuming \(output) after epoch \(trainer.completedEpochs) of \(options.epochs), \(trainer.steps) optimizer steps")
            if trainer.completedEpochs >= options.epochs {
                print("nothing to train: the run has reached its --epochs \(options.epochs); give a larger one to train on")
            } else if let iterations = options.iterations, trainer.steps >= iterations {
                print("nothing to train: the run has reached its --iterations \(iterations); give a larger one to train on")
            }
        }
        if reports {
            print("training \(trainer.options.architecture.rawValue) on \(trainer.training.images.count) images of \(source.split):\(source.trainPart), validating on \(trainer.validation.images.count) of \(source.split):\(source.validationPart); \(trainer.batchesPerEpoch) batch\(trainer.batchesPerEpoch == 1 ? "" : "es") per epoch")
            if trainer.ranks > 1 {
                let fewest = options.batchSize / trainer.ranks, most = (options.batchSize + trainer.ranks - 1) / trainer.ranks
                let share = fewest == most ? "\(fewest) image\(fewest == 1 ? "" : "s")" : "\(fewest)–\(most) images"
                print("data-parallel over \(trainer.ranks) ranks: global batch \(options.batchSize), \(share) per rank, batch norm \((options.batchNorm ?? .batch).words)")
            }
        }
        var line: ProgressLine?
        var lineEpoch = 0
        var linePhase = TrainingProgress.Phase.training
        let records = try run.run { progress in
            guard reports else { return }
            if line == nil || progress.epoch != lineEpoch || progress.phase != linePhase {
                line?.finish()
                let label = progress.phase == .training ? "epoch \(progress.epoch)/\(progress.epochs)" : "validation \(progress.epoch)"
                line = ProgressLine(label, total: progress.batches, unit: "batches")
                lineEpoch = progress.epoch
                linePhase = progress.phase
            }
            var detail = String(format: "loss %.4f", progress.loss)
            if progress.phase == .training {
                detail += String(format: ", %.1f images/s", progress.imagesPerSecond)
                if let remaining = progress.remainingSeconds { detail += ", run ETA " + ProgressLine.formatDuration(remaining) }
            }
            line?.update(progress.batch, detail: detail)
        }
        line?.finish()
        warnings.report(missing: reports)
        guard reports else { return }
        for record in records {
            print(String(format: "epoch %d: train loss %.4f, validation loss %.4f, mean AUC %@, %.1f images/s%@",
                         record.epoch, record.trainLoss, record.validationLoss,
                         record.meanAUC.map { String(format: "%.4f", $0) } ?? "undefined", record.imagesPerSecond,
                         record.loaderWaitSeconds.map { String(format: " (%.1f s waiting for the loader)", $0) } ?? ""))
        }
        print("best model: \(output)/model; metrics: \(output)/metrics.csv, metrics.json, curves.svg")
    }

    /// Checks that a new run may be written into `output`: nothing there yet, or a folder that
    /// holds no run (no checkpoint, model or metrics of one), so that an earlier run is never
    /// overwritten by mistake.
    /// - Throws: `InputFileError` naming the path and, for a run, --resume.
    static func requireNewRunFolder(_ output: String) throws {
        try requireOutputFolder(output, option: "--output")
        let runFiles = [Trainer.checkpointFolder, TrainingRun.modelFolder, "metrics.json", "metrics.csv"]
        if let found = runFiles.first(where: { PathKind((output as NSString).appendingPathComponent($0)) != .missing }) {
            throw InputFileError("\(output) holds a run already (\(found) in it): continue it with --resume, or give another --output")
        }
    }
}

/// Collects the loader's warnings: missing files are summarized in one line (a split of the full
/// release with only some images on disk misses thousands), unreadable files named one each.
// @unchecked Sendable: the loader's threads and the main thread touch its arrays only under `lock`.
final class WarningCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var missing: [String] = []
    private var unreadable: [String] = []
    private var reportedMissing = 0
    private var reportedUnreadable = 0

    func record(_ warning: LoaderWarning) {
        lock.lock()
        defer { lock.unlock() }
        if case .missing(let name, _) = warning { missing.append(name) } else { unreadable.append(warning.description) }
    }

    /// Prints what came in since the last report; the summary of missing files only when
    /// `missing` (every rank of a data-parallel run finds the same ones; rank 0 says so).
    func report(missing reportsMissing: Bool = true) {
        lock.lock()
        defer { lock.unlock() }
        if reportsMissing && missing.count > reportedMissing {
            printWarning("\(missing.count - reportedMissing) images have no file on disk and are left out (first: \(missing[reportedMissing]))")
            reportedMissing = missing.count
        }
        for line in unreadable[reportedUnreadable...] { printWarning(line) }
        reportedUnreadable = unreadable.count
    }
}

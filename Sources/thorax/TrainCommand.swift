import ArgumentParser
import CAD
import Foundation
import Loader
import Store
import Tensor

/// `thorax train`: the paper's weakly supervised training on a database split.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a chest X-ray classifier (backbone + the paper's weakly supervised head) on a database split.",
        discussion: """
        Trains on SPLIT:TRAIN and validates on SPLIT:VALIDATION after every epoch (AUC per class).
        Writes into --output: model/ (the best epoch's model directory: model.safetensors +
        model.json), metrics.csv, metrics.json, curves.svg (loss and AUC curves), and checkpoint/
        (weights, optimizer state, position in the run) from which --resume continues exactly.
        Images whose file is missing are left out and counted.

        Example:
          thorax db import-nih --images ../shared/data/nih/images-256 ...
          thorax db split --name bundled --ratios 85,15 --parts train,validation --seed 1
          thorax train --split bundled --arch efficientnet-lite0 \\
              --initial-weights Models/pretrained/efficientnet-lite0-imagenet.safetensors \\
              --size 224 --batch-size 16 --epochs 5 --output runs/lite0
          thorax train --output runs/lite0 --resume --epochs 8
        """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The split whose parts are used.")
    var split: String = "official"
    @Option(help: "The part trained on.")
    var trainPart: String = "train"
    @Option(help: "The part validated on after each epoch.")
    var validationPart: String = "validation"
    @Option(help: "Label source: nih, labeller or human.")
    var labels: String = "nih"

    @Option(help: "Backbone: \(ChestModel.architectureNames.joined(separator: ", ")).")
    var arch: String = "efficientnet-lite0"
    @Option(help: "Backbone weights to start from (safetensors: torchvision names, or the converted EfficientNet-Lite0 file); the classifier in it is ignored.")
    var initialWeights: String?
    @OptionGroup var head: HeadOptions
    @Option(help: "Loss: wcel (the paper's weighted cross-entropy) or bce.")
    var loss: String = "wcel"
    @Option(help: "Input image side in pixels (224, 512, 1024).")
    var size: Int = 224
    @Option(help: "Images per batch.")
    var batchSize: Int = 16
    @Option(help: "Batches per optimizer step (gradient accumulation).")
    var accumulation: Int = 1
    @Option(help: "sgd (momentum 0.9) or adam.")
    var optimizer: String = "adam"
    @Option(help: "Initial learning rate.")
    var learningRate: Double = 1e-4
    @Option(help: "Weight decay.")
    var weightDecay: Double = 0
    @Option(help: "Learning-rate schedule: constant, step, cosine or plateau.")
    var schedule: String = "constant"
    @Option(help: "step: epochs between reductions.")
    var stepEpochs: Int = 10
    @Option(help: "step/plateau: factor of each reduction.")
    var gamma: Double = 0.1
    @Option(help: "Epochs to train (with --resume: the new total).")
    var epochs: Int = 10
    @Option(help: "Stop after this many optimizer steps in total.")
    var iterations: Int?
    @Option(help: "Seed of initialization, data order and augmentation.")
    var seed: UInt64 = 1
    @Flag(help: "Train without augmentation.")
    var noAugmentation = false
    @Option(help: "EfficientNet-Lite0 only: drop connect rate in training (the package's is 0.2; default off).")
    var dropConnect: Float?
    @Option(help: "Threads for oneDNN (default: all cores).")
    var threads: Int?
    @Option(help: "Weights of the best model in --output/model: f32 or f16.")
    var modelFormat: String = "f32"
    @Option(help: "Text for the model card's notes (what the model is and is not fit for).")
    var notes: String?
    @Option(help: "Output directory.")
    var output: String
    @Flag(help: "Continue the run saved in --output (its options are kept; --epochs/--iterations may extend it).")
    var resume = false

    func run() throws {
        if let threads { try Context.setThreadCount(threads) }
        var options = TrainingOptions()
        options.architecture = arch
        options.initialWeights = initialWeights
        options.transitionChannels = head.transitionChannels
        options.pooling = head.pooling
        options.lseR = head.lseR
        options.loss = loss
        options.inputSize = size
        options.batchSize = batchSize
        options.accumulation = accumulation
        options.optimizer = optimizer
        options.learningRate = learningRate
        options.weightDecay = weightDecay
        options.schedule = schedule
        options.stepEpochs = stepEpochs
        options.gamma = gamma
        options.epochs = epochs
        options.iterations = iterations
        options.seed = seed
        options.augment = !noAugmentation
        options.dropConnect = dropConnect
        options.modelStorage = modelFormat
        options.notes = notes
        do {
            try options.validate()
        } catch let error as TrainingError {
            throw ValidationError(error.description)
        }
        let store = try database.open()
        let trainingImages = try store.labelledImages(split: split, part: trainPart, source: labels)
        let validationImages = try store.labelledImages(split: split, part: validationPart, source: labels)
        let warnings = WarningCounter()
        let trainer = try Trainer(options: options,
                                  source: TrainingSource(database: URL(fileURLWithPath: database.database).lastPathComponent,
                                                         split: split, trainPart: trainPart, validationPart: validationPart),
                                  trainingImages: trainingImages, validationImages: validationImages,
                                  output: URL(fileURLWithPath: output), resume: resume, thoraxVersion: ThoraxVersion.string,
                                  warning: { warnings.record($0) })
        warnings.report()
        print("training \(trainer.options.architecture) on \(trainer.training.images.count) images of \(split):\(trainPart), validating on \(trainer.validation.images.count) of \(split):\(validationPart); \(trainer.batchesPerEpoch) batches per epoch")
        var line: ProgressLine?
        var lineEpoch = 0
        var linePhase = TrainingProgress.Phase.training
        let records = try trainer.run { progress in
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
        warnings.report()
        for record in records {
            print(String(format: "epoch %d: train loss %.4f, validation loss %.4f, mean AUC %@, %.1f images/s%@",
                         record.epoch, record.trainLoss, record.validationLoss,
                         record.meanAUC.map { String(format: "%.4f", $0) } ?? "undefined", record.imagesPerSecond,
                         record.loaderWaitSeconds.map { String(format: " (%.1f s waiting for the loader)", $0) } ?? ""))
        }
        print("best model: \(output)/model; metrics: \(output)/metrics.csv, metrics.json, curves.svg")
    }
}

/// Collects the loader's warnings: missing files are summarized in one line (a split of the full
/// release with only some images on disk misses thousands), unreadable files named one each.
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

    /// Prints what came in since the last report.
    func report() {
        lock.lock()
        defer { lock.unlock() }
        if missing.count > reportedMissing {
            printWarning("\(missing.count - reportedMissing) images have no file on disk and are left out (first: \(missing[reportedMissing]))")
            reportedMissing = missing.count
        }
        for line in unreadable[reportedUnreadable...] { printWarning(line) }
        reportedUnreadable = unreadable.count
    }
}

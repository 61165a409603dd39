import Foundation
import Models

/// Everything a run was asked for; saved with the checkpoint so that a resumed run continues
/// the same one (`SavedRun.check`: all equal but `epochs` and `iterations`).
public struct TrainingOptions: Codable, Equatable, Sendable {
    public var architecture = Architecture.efficientnetLite0
    /// The backbone's reduction (16: last stride-2 stage dilated); nil is 32, as runs saved
    /// before the choice existed.
    public var outputStride: OutputStride?
    /// Backbone weights to start from (torchvision-named or the EfficientNet package's
    /// safetensors; their classifier is dropped). nil: random initialization.
    public var initialWeights: String?
    /// The head: D, the pooling and r of LSE.
    public var transitionChannels = 512
    public var pooling = HeadPooling.logSumExp
    public var lseR: Float = 10
    /// EfficientNet-Lite0's drop connect in training (the package trains with 0.2); nil or 0: off.
    public var dropConnect: Float?
    public var loss = LossFunction.weightedCrossEntropy
    /// Network input side (224, 512, 1024, or smaller for tests).
    public var inputSize = 224
    public var batchSize = 16
    /// Micro-batches per optimizer step (effective batch = batchSize × accumulation).
    public var accumulation = 1
    /// What batch norm normalizes with in training; nil is `.batch` (the default, and what runs
    /// saved before the choice existed did).
    public var batchNorm: BatchNormMode?
    public var optimizer = OptimizerAlgorithm.adam
    public var learningRate: Double = 1e-4
    /// SGD's momentum.
    public var momentum: Double = 0.9
    public var weightDecay: Double = 0
    public var schedule = ScheduleKind.constant
    /// Epochs between reductions of the step schedule.
    public var stepEpochs = 10
    /// Factor of each reduction of the step and plateau schedules.
    public var gamma: Double = 0.1
    /// Epochs without improvement before the plateau schedule reduces the rate.
    public var patience = 2
    public var epochs = 10
    /// Stop after this many optimizer steps in total (nil: run all epochs).
    public var iterations: Int?
    public var seed: UInt64 = 1
    /// Random resized crop, small rotation, brightness/contrast on training images.
    public var augment = true
    /// Keep decoded images in memory between epochs.
    public var cacheImages = true
    /// Storage of the best model's weights (the resume checkpoint is always float32).
    public var modelStorage = WeightFormat.float32
    /// Free text for the model card's `notes`.
    public var notes: String?

    public init() {}

    /// Checks the ranges the types do not.
    /// - Throws: `TrainingError.invalidOption` naming the setting and its value.
    public func validate() throws {
        func fail(_ option: TrainingOption, _ message: String) -> TrainingError { .invalidOption(option, message) }
        if let outputStride, !architecture.supports(outputStride) {
            throw fail(.outputStride, "\(outputStride.rawValue) is not available for \(architecture.rawValue) (resnet50, resnet101 and efficientnet-lite0 have it)")
        }
        guard lseR > 0, lseR.isFinite else { throw fail(.lseR, "must be positive, got \(lseR)") }
        guard inputSize >= 32, inputSize % 32 == 0 else { throw fail(.inputSize, "must be a multiple of 32 (at least 32), got \(inputSize)") }
        guard batchSize >= 2 else { throw fail(.batchSize, "must be at least 2 (batch norm needs two images), got \(batchSize)") }
        guard accumulation >= 1 else { throw fail(.accumulation, "must be positive, got \(accumulation)") }
        guard epochs >= 1 else { throw fail(.epochs, "must be positive, got \(epochs)") }
        guard transitionChannels >= 1 else { throw fail(.transitionChannels, "must be positive, got \(transitionChannels)") }
        guard learningRate > 0, learningRate.isFinite else { throw fail(.learningRate, "must be positive, got \(learningRate)") }
        if let iterations, iterations < 1 { throw fail(.iterations, "must be positive, got \(iterations)") }
        if let dropConnect, dropConnect != 0 {
            guard dropConnect > 0, dropConnect < 1 else { throw fail(.dropConnect, "must be in [0, 1), got \(dropConnect)") }
            guard architecture == .efficientnetLite0 else {
                throw fail(.dropConnect, "applies to \(Architecture.efficientnetLite0.rawValue) only, not \(architecture.rawValue)")
            }
        }
    }
}

/// One setting of a run, as messages name it: the fields of `TrainingOptions` and of
/// `TrainingSource`. A command line maps each to its own spelling.
public enum TrainingOption: String, CaseIterable, Sendable {
    case architecture, outputStride, initialWeights, transitionChannels, pooling, lseR, loss, inputSize, batchSize
    case accumulation, batchNorm, optimizer, learningRate, momentum, weightDecay, schedule, stepEpochs, gamma
    case patience, epochs, iterations, seed, augment, dropConnect, cacheImages, modelStorage, notes
    case database, split, trainPart, validationPart, labels

    /// The setting in words, as a message names it ("batch size", "drop connect").
    public var words: String {
        switch self {
        case .lseR: return "LSE r"
        case .inputSize: return "input size"
        case .augment: return "augmentation"
        case .modelStorage: return "model weight format"
        case .cacheImages: return "image cache"
        case .labels: return "label source"
        case .batchNorm: return "batch norm statistics"
        default:
            // camelCase → words: "batchSize" → "batch size".
            return rawValue.reduce(into: "") { text, character in
                if character.isUppercase { text += " " + character.lowercased() } else { text.append(character) }
            }
        }
    }
}

/// What stops training with a message. Messages name settings in words (`TrainingOption`);
/// a command line may name its own flags instead.
public enum TrainingError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// A setting's value is out of range; the message says what it must be and what it is.
    case invalidOption(TrainingOption, String)
    case noImages(String)
    case nonFiniteLoss(epoch: Int, batch: Int, images: [String])
    /// A checkpoint that cannot be resumed (missing, unreadable, or changed images).
    case resume(String)
    /// The checkpoint was saved without the run's source and images, so it cannot be continued.
    case unresumableCheckpoint(file: String)
    /// A resumed run was given fewer epochs in all than it has completed.
    case tooFewEpochs(requested: Int, completed: Int)
    /// A resumed run was given fewer optimizer steps in all than it has taken.
    case tooFewIterations(requested: Int, taken: Int)
    /// A resumed run was given a setting that differs from the run's.
    case resumeConflict(ResumeConflict)

    public var description: String {
        switch self {
        case let .invalidOption(option, message): return "\(option.words) \(message)"
        case .noImages(let message): return message
        case let .nonFiniteLoss(epoch, batch, images):
            return "the loss became NaN or infinite in epoch \(epoch), batch \(batch) (images \(images.prefix(4).joined(separator: ", "))\(images.count > 4 ? ", …" : "")); lower the learning rate or check these images"
        case .resume(let message): return "cannot resume: \(message)"
        case .unresumableCheckpoint(let file):
            return "cannot resume: \(file) was saved by an earlier thorax that did not record the run's database, split and labels; train a new run elsewhere"
        case let .tooFewEpochs(requested, completed):
            return "cannot resume: \(requested) epochs in all is fewer than the \(completed) epochs the run has completed"
        case let .tooFewIterations(requested, taken):
            return "cannot resume: \(requested) optimizer steps in all is fewer than the \(taken) steps the run has taken"
        case .resumeConflict(let conflict):
            return "\(conflict.option.words) \(conflict.given) conflicts with the run being resumed (\(conflict.recorded))"
        }
    }

    public var errorDescription: String? { description }
}

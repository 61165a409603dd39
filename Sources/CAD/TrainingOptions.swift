import Foundation

/// Everything `thorax train` was asked for; saved with the checkpoint so that `--resume`
/// continues the same run (`SavedRun.check`: all equal but `epochs` and `iterations`).
public struct TrainingOptions: Codable, Equatable, Sendable {
    /// Backbone: resnet18, resnet50, densenet121, efficientnet-lite0, …
    public var architecture = "efficientnet-lite0"
    /// Backbone weights to start from (torchvision-named or the EfficientNet package's
    /// safetensors; their classifier is dropped). nil: random initialization.
    public var initialWeights: String?
    /// The head: D, pooling (avg | max | lse) and r of LSE.
    public var transitionChannels = 512
    public var pooling = "lse"
    public var lseR: Float = 10
    /// EfficientNet-Lite0's drop connect in training (the package trains with 0.2); nil or 0: off.
    public var dropConnect: Float?
    /// wcel (the paper's weighted cross-entropy) or bce.
    public var loss = "wcel"
    /// Network input side (224, 512, 1024, or smaller for tests).
    public var inputSize = 224
    public var batchSize = 16
    /// Micro-batches per optimizer step (effective batch = batchSize × accumulation).
    public var accumulation = 1
    /// sgd (momentum, weight decay) or adam.
    public var optimizer = "adam"
    public var learningRate: Double = 1e-4
    public var momentum: Double = 0.9
    public var weightDecay: Double = 0
    /// constant, step (×gamma every stepEpochs), cosine (to 0 over the epochs), plateau (×gamma
    /// when the validation mean AUC has not improved for `patience` epochs).
    public var schedule = "constant"
    public var stepEpochs = 10
    public var gamma: Double = 0.1
    public var patience = 2
    public var epochs = 10
    /// Stop after this many optimizer steps in total (nil: run all epochs).
    public var iterations: Int?
    public var seed: UInt64 = 1
    /// Random resized crop, small rotation, brightness/contrast on training images.
    public var augment = true
    /// Keep decoded images in memory between epochs.
    public var cacheImages = true
    /// Storage of the best model's weights in `<output>/model`: f32 or f16 (half the size; the
    /// resume checkpoint is always f32).
    public var modelStorage = "f32"
    /// Free text for the model card's `notes`.
    public var notes: String?

    public init() {}

    /// Checks ranges and names.
    /// - Throws: `TrainingError.invalidOptions` saying what is wrong.
    public func validate() throws {
        func fail(_ message: String) -> TrainingError { .invalidOptions(message) }
        guard ChestModel.architectureNames.contains(architecture) else {
            throw fail("unknown architecture '\(architecture)'; choose one of: \(ChestModel.architectureNames.joined(separator: ", "))")
        }
        guard ["avg", "max", "lse"].contains(pooling) else { throw fail("--pooling must be avg, max or lse, not '\(pooling)'") }
        guard lseR > 0, lseR.isFinite else { throw fail("--lse-r must be positive") }
        guard ["f32", "f16"].contains(modelStorage) else { throw fail("--model-format must be f32 or f16, not '\(modelStorage)'") }
        guard ["wcel", "bce"].contains(loss) else { throw fail("--loss must be wcel or bce, not '\(loss)'") }
        guard ["sgd", "adam"].contains(optimizer) else { throw fail("--optimizer must be sgd or adam, not '\(optimizer)'") }
        guard ["constant", "step", "cosine", "plateau"].contains(schedule) else {
            throw fail("--schedule must be constant, step, cosine or plateau, not '\(schedule)'")
        }
        guard inputSize >= 32, inputSize % 32 == 0 else { throw fail("--size must be a multiple of 32 (at least 32), got \(inputSize)") }
        guard batchSize >= 2 else { throw fail("--batch-size must be at least 2 (batch norm needs two images), got \(batchSize)") }
        guard accumulation >= 1, epochs >= 1, transitionChannels >= 1 else {
            throw fail("--accumulation, --epochs and --transition-channels must be positive")
        }
        guard learningRate > 0, learningRate.isFinite else { throw fail("--learning-rate must be positive") }
        if let iterations, iterations < 1 { throw fail("--iterations must be positive") }
        if let dropConnect, dropConnect != 0 {
            guard dropConnect > 0, dropConnect < 1 else { throw fail("--drop-connect must be in [0, 1), got \(dropConnect)") }
            guard architecture == "efficientnet-lite0" else {
                throw fail("--drop-connect applies to efficientnet-lite0 only, not \(architecture)")
            }
        }
    }
}

/// What stops training with a message.
public enum TrainingError: Error, CustomStringConvertible, LocalizedError, Equatable {
    case invalidOptions(String)
    case noImages(String)
    case nonFiniteLoss(epoch: Int, batch: Int, images: [String])
    case resume(String)
    /// `thorax train --resume` was given an option that differs from the run's.
    case resumeConflict(ResumeConflict)

    public var description: String {
        switch self {
        case .invalidOptions(let message): return message
        case .noImages(let message): return message
        case let .nonFiniteLoss(epoch, batch, images):
            return "the loss became NaN or infinite in epoch \(epoch), batch \(batch) (images \(images.prefix(4).joined(separator: ", "))\(images.count > 4 ? ", …" : "")); lower the learning rate or check these images"
        case .resume(let message): return "cannot resume: \(message)"
        case .resumeConflict(let conflict):
            return "\(conflict.given) conflicts with the run being resumed (\(conflict.recorded)); leave it out to continue that run, or train a new one in another --output"
        }
    }

    public var errorDescription: String? { description }
}

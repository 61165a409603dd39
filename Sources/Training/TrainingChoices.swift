import Foundation
import Models
import SafeTensors

// The named choices of a run, each a type: they are parsed once (from a checkpoint, a model
// card or the command line) and never compared as strings. The raw values are the names files
// and the command line use.

/// Global pooling of the head's S×S transition maps (the paper's §3.2).
public enum HeadPooling: String, Codable, CaseIterable, Sendable {
    case average = "avg"
    case maximum = "max"
    /// Log-sum-exp with a sharpness r: between average (r → 0) and max (r → ∞).
    case logSumExp = "lse"

    /// The pooling as the network builds it; `r` is used by log-sum-exp only.
    public func layerPooling(r: Float) -> WeaklySupervisedModel.Pooling {
        switch self {
        case .average: return .average
        case .maximum: return .max
        case .logSumExp: return .logSumExp(r: r)
        }
    }
}

/// The training loss on the head's logits.
public enum LossFunction: String, Codable, CaseIterable, Sendable {
    /// The paper's weighted cross-entropy (W-CEL, eq. 1).
    case weightedCrossEntropy = "wcel"
    /// Plain binary cross-entropy, every label weighted 1.
    case binaryCrossEntropy = "bce"
}

/// The optimizer of a run.
public enum OptimizerAlgorithm: String, Codable, CaseIterable, Sendable {
    /// Stochastic gradient descent with momentum and weight decay.
    case sgd
    case adam
}

/// How the learning rate changes from epoch to epoch.
public enum ScheduleKind: String, Codable, CaseIterable, Sendable {
    case constant
    /// × gamma every `stepEpochs` epochs.
    case step
    /// To 0 along a half cosine over the epochs.
    case cosine
    /// × gamma when the validation mean AUC has not improved for `patience` epochs.
    case plateau
}

/// What the batch norms normalize with in training (`BatchNormStatistics` in NN).
public enum BatchNormMode: String, Codable, CaseIterable, Sendable {
    /// The batch's statistics; in a data-parallel run each rank's share's (as PyTorch's DDP).
    case batch
    /// The whole global batch's over every rank (as torch.nn.SyncBatchNorm): N ranks train as
    /// one process does on the same global batch.
    case synchronized = "sync"
    /// The running statistics, unchanged; γ and β still train.
    case frozen
}

/// How the weights of a trained model are stored.
public enum WeightFormat: String, Codable, CaseIterable, Sendable {
    case float32 = "f32"
    /// Half the size; every weight a trained network holds fits float16's range.
    case float16 = "f16"

    /// The safetensors storage of this format.
    public var storage: SafeTensorsStorage {
        switch self {
        case .float32: return .float32
        case .float16: return .float16
        }
    }
}

/// Architectures are stored by their names (`resnet50`, `efficientnet-lite0`); an unknown name
/// is `ArchitectureError.unknown`, listing the known ones.
extension Architecture: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = try Architecture(name: container.decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

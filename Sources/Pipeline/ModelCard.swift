import Foundation
import Models
import Training

/// The description of a trained model, stored as `model.json` beside `model.safetensors` in a
/// model directory. It says what the weights are (architecture, classes in order, head),
/// how images must be prepared for them, what data they were trained on, and what they
/// measured — so that `predict`, `eval` and `localize` need nothing else.
public struct ModelCard: Codable, Equatable, Sendable {
    /// The version of this file's layout; readers reject versions they do not know.
    public var formatVersion: Int = 1
    /// The backbone, stored by name (`resnet50`, `densenet121`, `resnet18`, `efficientnet-lite0`).
    public var architecture: Architecture
    /// How much the backbone reduces the input: 16 (its last stride-2 stage dilated instead)
    /// or 32; absent means 32, as cards written before the choice existed.
    public var outputStride: OutputStride?
    /// K when the weights are an ensemble of K networks whose probabilities and heatmaps are
    /// averaged (`members.<k>.*` in the weights file); absent for one network.
    public var ensembleSize: Int?
    /// Per network (one entry, or one per ensemble member): the mean and standard deviation of
    /// each class's logit on the films it was trained on. When present a class's probability is
    /// σ((logit − mean) / standard deviation), so that networks trained on different films
    /// score on one scale; absent, it is σ(logit).
    public var scoreStandardization: [ScoreStandardization]?
    /// The class names in output order (the project's 14 by default).
    public var classes: [String]
    public var preprocessing: Preprocessing
    public var head: Head
    /// Per-class decision thresholds on the sigmoid output: a class is reported present (and
    /// its heatmap drawn by `predict --heatmaps`) when its probability is at least this.
    public var thresholds: [Float]
    public var training: Training?
    public var metrics: Metrics?
    /// The out-of-fold figures of a cross-validated run; absent for a run with one validation part.
    public var crossValidation: CrossValidation?
    /// The localization benchmark on boxed films, when `thorax localize --record-in-card` ran.
    public var localization: Localization?
    /// Free text: what the model is and is not fit for.
    public var notes: String?
    public var thoraxVersion: String
    /// ISO 8601 time the card was written.
    public var created: String

    public struct Preprocessing: Codable, Equatable, Sendable {
        /// Side of the square network input in pixels.
        public var inputSize: Int
        /// Input channels: 3 (grayscale replicated, ImageNet statistics) or 1.
        public var channels: Int
        /// Per-channel mean and standard deviation applied to pixel values scaled to [0, 1].
        public var mean: [Float]
        public var standardDeviation: [Float]
        public init(inputSize: Int, channels: Int, mean: [Float], standardDeviation: [Float]) {
            self.inputSize = inputSize
            self.channels = channels
            self.mean = mean
            self.standardDeviation = standardDeviation
        }
    }

    /// The paper's weakly supervised head: transition to an S×S×D map, global pooling, and a
    /// D×C prediction layer.
    public struct Head: Codable, Equatable, Sendable {
        /// D: channels of the transition layer's output.
        public var transitionChannels: Int
        /// Stored as `avg`, `max` or `lse`.
        public var pooling: HeadPooling
        /// r of log-sum-exp pooling (used when pooling is `lse`).
        public var lseR: Float
        public init(transitionChannels: Int, pooling: HeadPooling, lseR: Float) {
            self.transitionChannels = transitionChannels
            self.pooling = pooling
            self.lseR = lseR
        }
    }

    /// Where the weights came from.
    public struct Training: Codable, Equatable, Sendable {
        public var database: String
        public var split: String
        public var trainPart: String
        public var validationPart: String
        public var trainImages: Int
        public var validationImages: Int
        public var initialWeights: String?
        public var loss: LossFunction
        public var optimizer: OptimizerAlgorithm
        public var learningRate: Double
        public var batchSize: Int
        public var gradientAccumulation: Int
        public var epochs: Int
        public var bestEpoch: Int
        public var seed: UInt64
        /// EfficientNet-Lite0's drop connect rate in training; absent when off.
        public var dropConnect: Float?
        public init(database: String, split: String, trainPart: String, validationPart: String,
                    trainImages: Int, validationImages: Int, initialWeights: String?, loss: LossFunction,
                    optimizer: OptimizerAlgorithm, learningRate: Double, batchSize: Int,
                    gradientAccumulation: Int, epochs: Int, bestEpoch: Int, seed: UInt64, dropConnect: Float? = nil) {
            self.dropConnect = dropConnect
            self.database = database
            self.split = split
            self.trainPart = trainPart
            self.validationPart = validationPart
            self.trainImages = trainImages
            self.validationImages = validationImages
            self.initialWeights = initialWeights
            self.loss = loss
            self.optimizer = optimizer
            self.learningRate = learningRate
            self.batchSize = batchSize
            self.gradientAccumulation = gradientAccumulation
            self.epochs = epochs
            self.bestEpoch = bestEpoch
            self.seed = seed
        }
    }

    /// What the model measured, and on which images.
    public struct Metrics: Codable, Equatable, Sendable {
        /// Which images the figures come from, e.g. "official:train_val, 10% validation hold-out".
        public var evaluatedOn: String
        /// AUC per class in `classes` order; nil where the class had no positives or no
        /// negatives (undefined).
        public var auc: [Double?]
        /// Mean over the classes whose AUC is defined.
        public var meanAUC: Double?
        public init(evaluatedOn: String, auc: [Double?], meanAUC: Double?) {
            self.evaluatedOn = evaluatedOn
            self.auc = auc
            self.meanAUC = meanAUC
        }
    }

    public init(architecture: Architecture, outputStride: OutputStride? = nil, classes: [String],
                preprocessing: Preprocessing, head: Head, thresholds: [Float], training: Training? = nil,
                metrics: Metrics? = nil, notes: String? = nil, thoraxVersion: String, created: Date = Date()) {
        self.architecture = architecture
        self.outputStride = outputStride
        self.classes = classes
        self.preprocessing = preprocessing
        self.head = head
        self.thresholds = thresholds
        self.training = training
        self.metrics = metrics
        self.notes = notes
        self.thoraxVersion = thoraxVersion
        self.created = ISO8601DateFormatter().string(from: created)
    }
}

extension ModelCard {
    /// The backbone's reduction: the stored one, or 32.
    public var backboneStride: OutputStride { outputStride ?? .thirtyTwo }

    /// Side S of the class activation maps (and of the transition layer's map) for the input size.
    public var heatmapSize: Int { backboneStride.featureSize(inputSize: preprocessing.inputSize) }
}

/// Reading and writing `model.json`.
extension ModelCard {
    /// The card's file name inside a model directory.
    public static let fileName = "model.json"

    /// Reads the card of the model directory `directory`.
    ///
    /// - Throws: `ModelCardError` naming the file when it is missing, is not valid JSON of this
    ///   layout (an unknown architecture or pooling among them), has a format version this
    ///   build does not know, or is inconsistent (thresholds or normalization statistics that
    ///   do not match the class or channel count).
    public static func read(directory: URL) throws -> ModelCard {
        let url = directory.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ModelCardError(file: url.path, message: "cannot read the model card (missing or unreadable)")
        }
        let card: ModelCard
        do {
            card = try JSONDecoder().decode(ModelCard.self, from: data)
        } catch {
            throw ModelCardError(file: url.path, message: "not a valid model card: \(error)")
        }
        guard card.formatVersion == 1 else {
            throw ModelCardError(file: url.path, message: "format version \(card.formatVersion) is not supported (this build reads 1)")
        }
        guard card.thresholds.count == card.classes.count else {
            throw ModelCardError(file: url.path, message: "\(card.thresholds.count) thresholds for \(card.classes.count) classes")
        }
        if let standardization = card.scoreStandardization {
            guard standardization.count == (card.ensembleSize ?? 1) else {
                throw ModelCardError(file: url.path, message: "\(standardization.count) score standardizations for \(card.ensembleSize ?? 1) networks")
            }
            for entry in standardization {
                guard entry.mean.count == card.classes.count, entry.standardDeviation.count == card.classes.count,
                      entry.mean.allSatisfy(\.isFinite), entry.standardDeviation.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                    throw ModelCardError(file: url.path, message: "a score standardization needs a finite mean and a positive standard deviation for each of the \(card.classes.count) classes")
                }
            }
        }
        guard card.architecture.supports(card.backboneStride) else {
            throw ModelCardError(file: url.path, message: "\(card.architecture.rawValue) cannot be built at output stride \(card.backboneStride.rawValue)")
        }
        let p = card.preprocessing
        guard p.mean.count == p.channels, p.standardDeviation.count == p.channels, p.inputSize > 0 else {
            throw ModelCardError(file: url.path, message: "preprocessing statistics do not match \(p.channels) channels")
        }
        return card
    }

    /// Writes the card into `directory` atomically (temporary file, then rename).
    public func write(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        try data.write(to: directory.appendingPathComponent(Self.fileName), options: .atomic)
    }
}

/// A model card that could not be read.
public struct ModelCardError: Error, CustomStringConvertible, LocalizedError {
    public let file: String
    public let message: String
    public var description: String { "\(file): \(message)" }
    public var errorDescription: String? { description }
}

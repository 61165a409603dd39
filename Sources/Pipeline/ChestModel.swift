import Evaluation
import Foundation
import Models
import NN
import SafeTensors
import Tensor
import Training

/// The paper's chest X-ray classifier as one object: a backbone (`resnet18`, `resnet50`,
/// `densenet121`, `efficientnet-lite0`, …) and the weakly supervised head (transition to an
/// S×S×D map, avg/max/LSE pooling, D×C prediction, a sigmoid per class), described by its
/// `ModelCard`. On disk a model is a directory holding `model.safetensors` (backbone names as
/// torchvision / the EfficientNet package name them, then `transition.*` and `prediction.*`)
/// and `model.json` (the card). An ensemble (`card.ensembleSize` K > 1, e.g. the K models of
/// a cross-validated run) holds K networks of the card's shape, stored as `members.<k>.*` in
/// one weights file; its probabilities and heatmaps are the members' means.
public final class ChestModel {
    /// The model's description; training updates its `training` and `metrics`.
    public var card: ModelCard
    /// The network (an ensemble's first member); `forward` gives logits (N, C) and
    /// `heatmaps()` the CAMs of the last forward.
    public let network: WeaklySupervisedModel
    /// Every network of the model: `[network]`, or an ensemble's K members.
    public let members: [WeaklySupervisedModel]

    /// What the weights file holds: the network, or the members under `members.<k>`.
    private var weights: Module { members.count == 1 ? network : EnsembleWeights(members: members) }

    /// A freshly initialized model (seeded, so equal seeds give equal weights) for `card`.
    /// - Throws: `ChestModelError.invalidCard` for an unusable head (no classes, non-positive
    ///   transition channels, LSE pooling without r > 0), an output stride the architecture
    ///   lacks, or an ensemble size below 1.
    public init(card: ModelCard, seed: UInt64 = 0) throws {
        guard !card.classes.isEmpty else { throw ChestModelError.invalidCard("the card lists no classes") }
        guard card.head.transitionChannels > 0 else {
            throw ChestModelError.invalidCard("transition channels must be positive, got \(card.head.transitionChannels)")
        }
        if card.head.pooling == .logSumExp, !(card.head.lseR > 0 && card.head.lseR.isFinite) {
            throw ChestModelError.invalidCard("LSE pooling needs r > 0, got \(card.head.lseR)")
        }
        guard card.architecture.supports(card.backboneStride) else {
            throw ChestModelError.invalidCard("\(card.architecture.rawValue) cannot be built at output stride \(card.backboneStride.rawValue)")
        }
        let size = card.ensembleSize ?? 1
        guard size >= 1 else { throw ChestModelError.invalidCard("an ensemble needs at least one member, got \(size)") }
        self.card = card
        members = try (0 ..< size).map { k in
            try WeaklySupervisedModel(backbone: card.architecture.makeBackbone(outputStride: card.backboneStride, seed: seed &+ UInt64(k)),
                                      classCount: card.classes.count,
                                      transitionChannels: card.head.transitionChannels,
                                      pooling: card.head.pooling.layerPooling(r: card.head.lseR), seed: seed &+ 7 &+ UInt64(k))
        }
        network = members[0]
    }

    /// The ensemble of `models` (each a single network of the same architecture, head and
    /// classes) described by `card`, whose `ensembleSize` is set to their count. The members
    /// are the models' networks themselves, not copies.
    /// - Throws: `ChestModelError.invalidCard` for no models, an ensemble among them, or a
    ///   member whose card differs from `card` in architecture, output stride, classes, input or head.
    public init(ensembleOf models: [ChestModel], card: ModelCard) throws {
        guard !models.isEmpty else { throw ChestModelError.invalidCard("an ensemble needs at least one member") }
        for (k, model) in models.enumerated() {
            let c = model.card
            guard model.members.count == 1, c.architecture == card.architecture, c.backboneStride == card.backboneStride,
                  c.classes == card.classes, c.preprocessing == card.preprocessing, c.head == card.head else {
                throw ChestModelError.invalidCard("member \(k + 1) of the ensemble is not a single model of the card's architecture, classes, input and head")
            }
        }
        var card = card
        card.ensembleSize = models.count
        // Standardized members are scored on one scale; a mix would average unlike scores.
        let standardizations = models.compactMap { $0.card.scoreStandardization?.first }
        guard standardizations.isEmpty || standardizations.count == models.count else {
            throw ChestModelError.invalidCard("\(standardizations.count) of the \(models.count) ensemble members have a score standardization: all or none must")
        }
        card.scoreStandardization = standardizations.isEmpty ? nil : standardizations
        self.card = card
        members = models.map(\.network)
        network = members[0]
    }

    // MARK: weights

    /// The file name of the weights inside a model directory.
    public static let weightsFileName = "model.safetensors"

    /// Reads a model directory (`model.json` + `model.safetensors`).
    /// - Parameter directory: a directory, or the name `default` for the bundled model
    ///   (`ModelDirectory.resolve`).
    /// - Throws: `ModelCardError` for a bad card (an unknown architecture among them),
    ///   `SafeTensorsError`/`TensorNameMismatch` naming the weights file and tensors.
    public static func load(directory: URL) throws -> ChestModel {
        let card = try ModelCard.read(directory: directory)
        let model = try ChestModel(card: card)
        let url = directory.appendingPathComponent(weightsFileName)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ChestModelError.missingWeights(url.path)
        }
        try Checkpoint.load(into: model.weights, from: url)
        for member in model.members { member.setTraining(false) }
        return model
    }

    /// Loads the model directory named `name` (`default` or a path).
    public static func load(named name: String) throws -> ChestModel {
        try load(directory: ModelDirectory.resolve(name))
    }

    /// Hands `options` to every member (`Module.setOptions(_:)`): among them the oneDNN threads
    /// the model runs on, on whichever thread runs it.
    public func setOptions(_ options: EngineOptions) {
        for member in members { member.setOptions(options) }
    }

    /// Writes `model.safetensors` (float16 by default: half the size; every weight a trained
    /// network holds fits float16's range, and a value that does not is an error naming it) and
    /// `model.json` into `directory`, each atomically; the card last, so a directory with a card
    /// always has its weights.
    public func save(directory: URL, storage: SafeTensorsStorage = .float16) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Checkpoint.save(weights, to: directory.appendingPathComponent(Self.weightsFileName), storage: storage,
                            metadata: ["architecture": card.architecture.rawValue, "thorax": card.thoraxVersion])
        try card.write(directory: directory)
    }

    // MARK: inference

    /// Side S of the heatmaps for the card's input size (the backbone reduces by its output stride).
    public var heatmapSize: Int { card.heatmapSize }

    /// Probabilities (N, C) for a batch of preprocessed images (N, channels, size, size) as one
    /// plain row-major array — what the Loader yields — in evaluation mode.
    /// - Throws: `ChestModelError.badInput` when the count does not match the card's input shape.
    public func probabilities(images: [Float], count: Int) throws -> [[Float]] {
        try predict(images: images, count: count, heatmaps: false).map(\.probabilities)
    }

    /// One forward pass in evaluation mode: each image's `Prediction` at the card's thresholds,
    /// with, when asked, the CAM heatmaps of the paper, heatmap[c][i·S + j] = Σ_d w_{d,c}·a_{i,j,d},
    /// each copied once from the network's (N, C, S, S) output.
    /// - Throws: `ChestModelError.badInput` when the count does not match the card's input shape;
    ///   `EvaluationError.nonFiniteScore` for a NaN or infinite heatmap value.
    public func predict(images: [Float], count: Int, heatmaps: Bool = true) throws -> [Prediction] {
        let size = card.preprocessing.inputSize, channels = card.preprocessing.channels
        guard count > 0, images.count == count * channels * size * size else {
            throw ChestModelError.badInput("expected \(count) images of \(channels)×\(size)×\(size) values (\(count * channels * size * size)), got \(images.count) values")
        }
        let classCount = card.classes.count
        let input = try Tensor(shape: [count, channels, size, size], values: images)
        // probabilities: (N, C), the members' mean; maps: (N, C, S, S) plain, the members' mean
        var probabilities = [Float](repeating: 0, count: count * classCount)
        var maps: Tensor?
        for (m, member) in members.enumerated() {
            member.setTraining(false)
            let logits = try member.forward(input).toArray()
            let standardization = card.scoreStandardization?[m]
            for index in probabilities.indices {
                let score = standardization?.score(logits[index], classIndex: index % classCount) ?? logits[index]
                probabilities[index] += sigmoid(score) / Float(members.count)
            }
            if heatmaps {
                // A standardized member's maps are divided by its classes' spreads, as its scores are.
                let scales = standardization.map { s in s.standardDeviation.map { 1 / $0 } }
                maps = try Self.addMean(of: member.heatmaps(), count: members.count, classScales: scales, to: maps)
            }
        }
        return try (0 ..< count).map { n in
            let probabilities = Array(probabilities[n * classCount ..< (n + 1) * classCount])
            let classMaps = try maps.map { try Self.heatmaps(of: n, in: $0) } ?? []
            return try Prediction(classNames: card.classes, thresholds: card.thresholds, probabilities: probabilities,
                                  heatmaps: classMaps)
        }
    }

    /// `sum` plus `maps` / `count`, each class's maps times `classScales[c]` when given (a new
    /// plain tensor when `sum` is nil): one member's share of an ensemble's mean heatmaps.
    private static func addMean(of maps: Tensor, count: Int, classScales: [Float]? = nil, to sum: Tensor?) throws -> Tensor {
        var values = try maps.toArray()
        if count > 1 { for index in values.indices { values[index] /= Float(count) } }
        if let classScales {
            // maps: (N, C, S, S)
            let perClass = maps.shape[2] * maps.shape[3], classCount = maps.shape[1]
            for index in values.indices { values[index] *= classScales[(index / perClass) % classCount] }
        }
        guard let sum else { return try Tensor(shape: maps.shape, values: values) }
        try sum.withUnsafeMutableBufferPointer { total in
            for index in values.indices { total[index] += values[index] }
        }
        return sum
    }

    /// Image `n`'s C heatmaps of S×S, copied straight from the plain (N, C, S, S) tensor.
    static func heatmaps(of n: Int, in maps: Tensor) throws -> [Heatmap] {
        let (classCount, height, width) = (maps.shape[1], maps.shape[2], maps.shape[3])
        let perClass = height * width
        return try maps.withUnsafeMutableBufferPointer { values in
            try (0 ..< classCount).map { c in
                let start = (n * classCount + c) * perClass
                return try Heatmap(width: width, height: height, values: Array(values[start ..< start + perClass]))
            }
        }
    }
}

/// Why a model could not be built, read or run.
public enum ChestModelError: Error, CustomStringConvertible, LocalizedError, Equatable {
    case invalidCard(String)
    case missingWeights(String)
    case badInput(String)
    case modelNotFound(String)

    public var description: String {
        switch self {
        case .invalidCard(let message): return "invalid model card: \(message)"
        case .missingWeights(let path): return "\(path): the model's weights are missing"
        case .badInput(let message): return "bad model input: \(message)"
        case .modelNotFound(let message): return message
        }
    }

    public var errorDescription: String? { description }
}

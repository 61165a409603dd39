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
/// and `model.json` (the card).
public final class ChestModel {
    /// The model's description; training updates its `training` and `metrics`.
    public var card: ModelCard
    /// The network; `forward` gives logits (N, C) and `heatmaps()` the CAMs of the last forward.
    public let network: WeaklySupervisedModel

    /// A freshly initialized model (seeded, so equal seeds give equal weights) for `card`.
    /// - Throws: `ChestModelError.invalidCard` for an unusable head (no classes, non-positive
    ///   transition channels, LSE pooling without r > 0) or an output stride the architecture lacks.
    public init(card: ModelCard, seed: UInt64 = 0) throws {
        guard !card.classes.isEmpty else { throw ChestModelError.invalidCard("the card lists no classes") }
        guard card.head.transitionChannels > 0 else {
            throw ChestModelError.invalidCard("transition channels must be positive, got \(card.head.transitionChannels)")
        }
        if card.head.pooling == .logSumExp, !(card.head.lseR > 0 && card.head.lseR.isFinite) {
            throw ChestModelError.invalidCard("LSE pooling needs r > 0, got \(card.head.lseR)")
        }
        self.card = card
        guard card.architecture.supports(card.backboneStride) else {
            throw ChestModelError.invalidCard("\(card.architecture.rawValue) cannot be built at output stride \(card.backboneStride.rawValue)")
        }
        network = try WeaklySupervisedModel(backbone: card.architecture.makeBackbone(outputStride: card.backboneStride, seed: seed),
                                            classCount: card.classes.count,
                                            transitionChannels: card.head.transitionChannels,
                                            pooling: card.head.pooling.layerPooling(r: card.head.lseR), seed: seed &+ 7)
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
        try Checkpoint.load(into: model.network, from: url)
        model.network.setTraining(false)
        return model
    }

    /// Loads the model directory named `name` (`default` or a path).
    public static func load(named name: String) throws -> ChestModel {
        try load(directory: ModelDirectory.resolve(name))
    }

    /// Writes `model.safetensors` (float16 by default: half the size; every weight a trained
    /// network holds fits float16's range, and a value that does not is an error naming it) and
    /// `model.json` into `directory`, each atomically; the card last, so a directory with a card
    /// always has its weights.
    public func save(directory: URL, storage: SafeTensorsStorage = .float16) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Checkpoint.save(network, to: directory.appendingPathComponent(Self.weightsFileName), storage: storage,
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
        network.setTraining(false)
        // logits: (N, C)
        let logits = try network.forward(Tensor(shape: [count, channels, size, size], values: images)).toArray()
        let classCount = card.classes.count
        // maps: (N, C, S, S), plain
        let maps = heatmaps ? try network.heatmaps() : nil
        return try (0 ..< count).map { n in
            let probabilities = (0 ..< classCount).map { c in sigmoid(logits[n * classCount + c]) }
            let classMaps = try maps.map { try Self.heatmaps(of: n, in: $0) } ?? []
            return try Prediction(classNames: card.classes, thresholds: card.thresholds, probabilities: probabilities,
                                  heatmaps: classMaps)
        }
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

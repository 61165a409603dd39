import DICOMResults
import Dispatch
import Evaluation
import Foundation
import Imaging
import Pipeline
import Service
import Store

/// What the DICOMweb service predicts stored instances with: one decoded image in, its
/// `Prediction` with one heatmap per class out, and the algorithm as its results name it.
public protocol InstancePredictor: Sendable {
    /// The model as the results' observer device and algorithm (TID 1004, TID 4019).
    var algorithm: AlgorithmIdentity { get }

    /// The prediction for `image` (any size): probability, threshold and presence per class,
    /// and each class's heatmap. Throws what the model throws; the instance then fails alone.
    func predict(_ image: GrayscaleImage) async throws -> Prediction

    /// The model as the database registers it, for recording each stored image's
    /// probabilities; nil (the default) records none.
    var modelRecord: ModelRecord? { get }
}

extension InstancePredictor {
    public var modelRecord: ModelRecord? { nil }
}

/// A `ChestModel` as an `InstancePredictor`: predictions run one at a time on a queue of their
/// own, off Swift's cooperative threads (a forward pass blocks its thread for its duration).
public final class ChestModelPredictor: InstancePredictor, @unchecked Sendable {
    // @unchecked Sendable: `model` is a class without synchronisation of its own; only the
    // serial `queue` touches it after init.
    private let model: ChestModel
    private let queue = DispatchQueue(label: "thorax.dicomweb.predictor")
    public let algorithm: AlgorithmIdentity
    /// The model's database registration (its weights' SHA-256, card, classes, thresholds).
    public let modelRecord: ModelRecord?

    public init(model: ChestModel, algorithm: AlgorithmIdentity, modelRecord: ModelRecord? = nil) {
        self.model = model
        self.algorithm = algorithm
        self.modelRecord = modelRecord
    }

    /// Loads the model directory `directory` (as `ChestModel.load(directory:)`); the algorithm
    /// is named `thorax-<architecture>` at the card's Thorax version, and its device UID is
    /// made from the SHA-256 of the weights, so that one model's reports share it; stored
    /// images' probabilities are recorded under the model as `ModelRecord.read` registers it.
    /// - Throws: what loading the model or reading its weights throws.
    public convenience init(directory: URL) throws {
        let model = try ChestModel.load(directory: directory)
        self.init(model: model, algorithm: try Self.algorithm(card: model.card, directory: directory),
                  modelRecord: try ModelRecord.read(directory: directory))
    }

    /// The algorithm of the model in `directory` whose card is `card`: `thorax-<architecture>`
    /// at the card's Thorax version, its device UID made from the weights' SHA-256.
    /// - Throws: when the weights file cannot be read.
    static func algorithm(card: ModelCard, directory: URL) throws -> AlgorithmIdentity {
        let weights = directory.appendingPathComponent(ChestModel.weightsFileName).path
        return AlgorithmIdentity(name: "thorax-\(card.architecture.rawValue)", version: card.thoraxVersion,
                                 deviceUID: deviceUID(weightsHash: try contentHash(of: weights)))
    }

    /// A 2.25 UID from the first 128 bits of the weights' SHA-256 (64 hex digits).
    static func deviceUID(weightsHash: String) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        var index = weightsHash.startIndex
        for i in 0..<16 {
            let next = weightsHash.index(index, offsetBy: 2)
            bytes[i] = UInt8(weightsHash[index..<next], radix: 16) ?? 0
            index = next
        }
        let uuid = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        return DICOMUID.make(from: uuid)
    }

    public func predict(_ image: GrayscaleImage) async throws -> Prediction {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result {
                    guard let prediction = try self.model.classify([image], heatmaps: true).first else {
                        throw ChestModelError.badInput("the model returned no prediction for the image")
                    }
                    return prediction
                })
            }
        }
    }
}

/// A model the service already serves, its `PipelineInferenceModel`, as an `InstancePredictor`:
/// a stored instance's image goes to the same `DynamicBatcher` as `/v1/predict` and OIP
/// requests, so requests that arrive together share one forward pass and the network is
/// loaded once. The model may still be loading: `model` waits for it (and throws its loading
/// error, which fails the instance alone).
public struct ServedModelPredictor: InstancePredictor {
    public let algorithm: AlgorithmIdentity
    /// The model's database registration, so stored images' probabilities are recorded under it.
    public let modelRecord: ModelRecord?
    private let model: @Sendable () async throws -> PipelineInferenceModel

    /// - Parameters:
    ///   - directory: the served model's directory, whose card and weights name the algorithm
    ///     (read here; the network is not built).
    ///   - model: the served model, once loaded.
    /// - Throws: `ModelCardError` for a bad card, or the file system's error for the weights.
    public init(directory: URL, model: @escaping @Sendable () async throws -> PipelineInferenceModel) throws {
        algorithm = try ChestModelPredictor.algorithm(card: ModelCard.read(directory: directory), directory: directory)
        modelRecord = try ModelRecord.read(directory: directory)
        self.model = model
    }

    public func predict(_ image: GrayscaleImage) async throws -> Prediction {
        try await model().predict(image, heatmaps: true)
    }
}

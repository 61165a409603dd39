import DICOMResults
import Dispatch
import Evaluation
import Foundation
import Imaging
import Pipeline
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
        let weights = directory.appendingPathComponent(ChestModel.weightsFileName).path
        let algorithm = AlgorithmIdentity(name: "thorax-\(model.card.architecture.rawValue)", version: model.card.thoraxVersion,
                                          deviceUID: Self.deviceUID(weightsHash: try contentHash(of: weights)))
        self.init(model: model, algorithm: algorithm, modelRecord: try ModelRecord.read(directory: directory))
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

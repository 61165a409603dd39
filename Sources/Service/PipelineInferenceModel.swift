import Evaluation
import Foundation
import Imaging
import Pipeline
import Tensor

/// How a model directory is served.
public struct ModelServingOptions: Sendable {
    public var batching: BatchingOptions
    /// oneDNN threads the model runs on (`EngineOptions.threads`; nil: OpenMP's default, all
    /// cores unless `OMP_NUM_THREADS` says otherwise).
    public var threads: Int?
    /// The most images one request may carry (the protocol's N).
    public var maximumRequestImages: Int

    public init(batching: BatchingOptions = BatchingOptions(), threads: Int? = nil, maximumRequestImages: Int = 64) {
        self.batching = batching
        self.threads = threads
        self.maximumRequestImages = maximumRequestImages
    }
}

/// A trained chest model (a `Pipeline` model directory) as the service runs it. Requests decode
/// and prepare their images as `thorax predict` does (`ImageDecoder`, `ChestModel.prepare`) on
/// the concurrency pool, then queue them on the model's `DynamicBatcher`, whose thread owns the
/// `ChestModel` and runs one forward pass at a time over the images that arrived together.
public final class PipelineInferenceModel: ImagePredictionModel {
    public let name: String
    public let version: String
    public let card: ModelCard
    public let maximumBatchSize: Int
    private let batcher: DynamicBatcher<BatchItem, Prediction>

    /// One image's network input (channels × size × size) and whether its heatmaps are wanted.
    struct BatchItem: Sendable {
        var values: [Float]
        var heatmaps: Bool
    }

    public var classes: [String] { card.classes }
    public var inputShape: [Int] { [card.preprocessing.channels, card.preprocessing.inputSize, card.preprocessing.inputSize] }
    public var heatmapSize: Int { card.heatmapSize }

    private init(name: String, version: String, card: ModelCard, maximumBatchSize: Int,
                 batcher: DynamicBatcher<BatchItem, Prediction>) {
        self.name = name
        self.version = version
        self.card = card
        self.maximumBatchSize = maximumBatchSize
        self.batcher = batcher
    }

    /// Loads the model directory on the model's own thread (where every forward pass runs, on
    /// the model's `threads`) and returns the served model once it is ready.
    /// - Throws: what `ChestModel.load(directory:)` throws (naming the directory and file).
    public static func load(name: String, version: String = "1", directory: URL, options: ModelServingOptions = ModelServingOptions(),
                            metrics: ServiceMetrics? = nil) async throws -> PipelineInferenceModel {
        let batcher = DynamicBatcher<BatchItem, Prediction>(name: name, options: options.batching) { record in
            metrics?.recordBatch(model: name, record)
        }
        let threads = options.threads
        let card = try await batcher.start { () throws -> (ModelCard, ([BatchItem]) throws -> [Prediction]) in
            let model = try ChestModel.load(directory: directory)
            model.setOptions(EngineOptions(threads: threads))
            return (model.card, { items in try Self.run(items, on: model) })
        }
        return PipelineInferenceModel(name: name, version: version, card: card,
                                      maximumBatchSize: options.maximumRequestImages, batcher: batcher)
    }

    /// One forward pass over the batch; heatmaps are computed when any image wants them and
    /// kept only for those.
    private static func run(_ items: [BatchItem], on model: ChestModel) throws -> [Prediction] {
        let wantsHeatmaps = items.contains(where: \.heatmaps)
        let values = items.count == 1 ? items[0].values : items.flatMap(\.values)
        var predictions = try model.predict(images: values, count: items.count, heatmaps: wantsHeatmaps)
        for index in predictions.indices where !items[index].heatmaps { predictions[index].heatmaps = [] }
        return predictions
    }

    /// Stops the model's thread once the images already queued have run.
    public func shutdown() {
        batcher.stop()
    }

    // MARK: inference

    /// Queues one prepared image (channels × size × size) and returns its prediction.
    private func submit(_ values: [Float], heatmaps: Bool) async throws -> Prediction {
        do {
            return try await batcher.submit(BatchItem(values: values, heatmaps: heatmaps))
        } catch is BatcherStopped {
            throw ServiceError(.serviceUnavailable, "model \"\(name)\" is shutting down")
        }
    }

    public func predict(_ image: EncodedImage, description: String, heatmaps: Bool) async throws -> ImagePredictionResult {
        let decoded: GrayscaleImage
        do {
            decoded = try ImageDecoder.decode(Data(image.bytes), name: description)
        } catch let error as ImagingError {
            throw InferenceInputError("\(description): \(error.reason)")
        }
        return ImagePredictionResult(image: decoded, prediction: try await predict(decoded, heatmaps: heatmaps))
    }

    /// The prediction of a decoded image (any size), prepared as `thorax predict` prepares it
    /// (`ChestModel.prepare`) and run in the model's next batch with whatever else waits: the
    /// way other modules (DICOMweb's stored instances) share this model's one network.
    /// - Throws: `ChestModelError.invalidCard` for statistics Imaging cannot apply; 503 once the
    ///   model is shutting down; what the forward pass throws.
    public func predict(_ image: GrayscaleImage, heatmaps: Bool) async throws -> Prediction {
        let values = try ChestModel.prepare([image], for: card)
        return try await submit(values, heatmaps: heatmaps)
    }

    public func infer(images: [EncodedImage], heatmaps: Bool) async throws -> [ModelOutput] {
        try await withThrowingTaskGroup(of: (Int, ModelOutput).self) { group in
            for (index, image) in images.enumerated() {
                group.addTask {
                    let result = try await self.predict(image, description: "input \"\(OpenInference.imagesInput)\" element \(index + 1)",
                                                        heatmaps: heatmaps)
                    return (index, Self.output(result.prediction))
                }
            }
            var outputs = [ModelOutput?](repeating: nil, count: images.count)
            for try await (index, output) in group { outputs[index] = output }
            return outputs.map { $0! }
        }
    }

    public func infer(tensor: [Float], shape: [Int], heatmaps: Bool) async throws -> [ModelOutput] {
        let perImage = shape.dropFirst().reduce(1, *)
        return try await withThrowingTaskGroup(of: (Int, ModelOutput).self) { group in
            for index in 0..<shape[0] {
                let values = Array(tensor[(index * perImage)..<((index + 1) * perImage)])
                group.addTask { (index, Self.output(try await self.submit(values, heatmaps: heatmaps))) }
            }
            var outputs = [ModelOutput?](repeating: nil, count: shape[0])
            for try await (index, output) in group { outputs[index] = output }
            return outputs.map { $0! }
        }
    }

    /// The protocol's view of a prediction: probabilities (C) and heatmaps (C, S, S) flattened.
    static func output(_ prediction: Prediction) -> ModelOutput {
        ModelOutput(probabilities: prediction.probabilities,
                    heatmaps: prediction.heatmaps.isEmpty ? nil : prediction.heatmaps.flatMap(\.values))
    }
}

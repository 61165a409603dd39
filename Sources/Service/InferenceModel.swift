/// An encoded image as a client sent it: PNG, JPEG or DICOM bytes, decoded by the model.
public struct EncodedImage: Sendable, Equatable {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }
}

/// What a model returns for one image.
public struct ModelOutput: Sendable, Equatable {
    /// (C): one probability per class, in the model's class order.
    public var probabilities: [Float]
    /// (C, S, S): one S × S heatmap per class, row-major; nil unless heatmaps were asked for.
    public var heatmaps: [Float]?

    public init(probabilities: [Float], heatmaps: [Float]? = nil) {
        self.probabilities = probabilities
        self.heatmaps = heatmaps
    }
}

/// A model's refusal of its input (an image it cannot decode, a tensor of the wrong shape):
/// the client's fault, answered with 400 and `message`, which names the input and the problem.
public struct InferenceInputError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// What the service runs inference with. The service decodes requests, checks them against
/// `inputShape` and `classes`, calls one of the two `infer` methods off the event loop, and
/// encodes the outputs; the conforming type owns preprocessing, batching and the forward pass.
public protocol InferenceModel: Sendable {
    var name: String { get }
    var version: String { get }
    /// The class names, in output order (C of them).
    var classes: [String] { get }
    /// (C, H, W) of one preprocessed image, the tensor input's shape without its batch axis.
    var inputShape: [Int] { get }
    /// S: heatmaps are (C, S, S) per image.
    var heatmapSize: Int { get }
    /// The most images one request may carry.
    var maximumBatchSize: Int { get }

    /// Decodes and preprocesses each image and returns one output per image, in order. Throws
    /// `InferenceInputError` for an image it cannot read.
    func infer(images: [EncodedImage], heatmaps: Bool) async throws -> [ModelOutput]

    /// Runs preprocessed images: `tensor` is (N, C, H, W) row-major with `shape` = [N, C, H, W]
    /// (already checked against `inputShape`). Returns N outputs.
    func infer(tensor: [Float], shape: [Int], heatmaps: Bool) async throws -> [ModelOutput]
}

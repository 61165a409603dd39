import Evaluation
import Imaging

/// A decoded request image and the model's prediction of it.
public struct ImagePredictionResult: Sendable {
    /// The image as decoded (its own size: boxes are given in its pixels).
    public var image: GrayscaleImage
    /// The classes at the model's thresholds and, when asked, one heatmap per class.
    public var prediction: Prediction

    public init(image: GrayscaleImage, prediction: Prediction) {
        self.image = image
        self.prediction = prediction
    }
}

/// A model the plain image endpoint (`POST /v1/predict`) can serve: besides the protocol's
/// tensors, it decodes one image and predicts it at its card's thresholds.
public protocol ImagePredictionModel: InferenceModel {
    /// Decodes `image` (PNG, JPEG or DICOM bytes) and predicts it, with heatmaps when asked.
    /// Throws `InferenceInputError` naming `description` when the bytes are no image it can read.
    func predict(_ image: EncodedImage, description: String, heatmaps: Bool) async throws -> ImagePredictionResult
}

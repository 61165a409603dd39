import Evaluation

/// The answer of `POST /v1/predict`.
struct ImagePredictionMessage: Encodable {
    /// Present when heatmaps were asked for: the id of the figures' URLs.
    var id: String?
    var model: String
    var modelVersion: String
    /// The decoded image's size: the frame of the boxes.
    var width: Int
    var height: Int
    /// One per class, in the model's order.
    var classes: [PredictedClass]

    enum CodingKeys: String, CodingKey {
        case id, model, width, height, classes
        case modelVersion = "model_version"
    }
}

/// One class of `/v1/predict`'s answer.
struct PredictedClass: Encodable {
    var className: String
    var probability: Float
    var threshold: Float
    var present: Bool
    /// The heatmap's boxes in the image's pixels, largest first; absent unless asked for.
    var boxes: [BoundingBox]?
    /// The figure's path, when the prediction is kept for figures.
    var heatmap: String?

    enum CodingKeys: String, CodingKey {
        case className = "class"
        case probability, threshold, present, boxes, heatmap
    }
}

/// The names this service gives the protocol's tensors and extensions.
public enum OpenInference {
    /// FP32 [N, C, H, W]: images already preprocessed.
    public static let tensorInput = "tensor"
    /// BYTES [N]: encoded images (PNG, JPEG or DICOM), decoded and preprocessed by the model.
    public static let imagesInput = "images"
    /// FP32 [N, C]: one probability per class.
    public static let probabilitiesOutput = "probabilities"
    /// FP32 [N, C, S, S]: one heatmap per class, only when requested.
    public static let heatmapsOutput = "heatmaps"
    /// The extensions listed in the server metadata.
    public static let extensions = ["binary_tensor_data", "classification"]
    /// The request header that gives the JSON's length when binary data follows it.
    public static let headerLengthField = "Inference-Header-Content-Length"

    /// The model's metadata response.
    static func metadata(of model: any InferenceModel) -> ModelMetadata {
        let classes = model.classes.count
        return ModelMetadata(
            name: model.name, versions: [model.version], platform: "thorax",
            inputs: [
                MetadataTensor(name: tensorInput, datatype: "FP32", shape: [-1] + model.inputShape),
                MetadataTensor(name: imagesInput, datatype: "BYTES", shape: [-1]),
            ],
            outputs: [
                MetadataTensor(name: probabilitiesOutput, datatype: "FP32", shape: [-1, classes]),
                MetadataTensor(name: heatmapsOutput, datatype: "FP32", shape: [-1, classes, model.heatmapSize, model.heatmapSize]),
            ])
    }
}

import Foundation
import Service

/// A deterministic stand-in for the real pipeline: 14 classes, (3, 4, 4) inputs, 2 × 2 heatmaps.
/// Image n's class c has probability sigmoid(m + (c − 7) / 2), m the mean of the image's tensor
/// values (or of its encoded bytes / 255); heatmap cell i is that probability × (i + 1) / 4.
/// Encoded images starting with "BAD" are refused as undecodable.
public struct FakeModel: InferenceModel {
    public static let classNames = [
        "Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule", "Pneumonia",
        "Pneumothorax", "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening", "Hernia",
    ]

    public var name: String
    public var version: String
    public var classes: [String] { FakeModel.classNames }
    public var inputShape: [Int] { [3, 4, 4] }
    public var heatmapSize: Int { 2 }
    public var maximumBatchSize: Int { 8 }

    public init(name: String = "default", version: String = "1") {
        self.name = name
        self.version = version
    }

    public static func probabilities(mean: Double) -> [Float] {
        (0..<14).map { Float(1 / (1 + exp(-(mean + (Double($0) - 7) / 2)))) }
    }

    public static func output(mean: Double, heatmaps: Bool) -> ModelOutput {
        let probabilities = probabilities(mean: mean)
        return ModelOutput(probabilities: probabilities,
                           heatmaps: heatmaps ? probabilities.flatMap { p in (1...4).map { p * Float($0) / 4 } } : nil)
    }

    public func infer(images: [EncodedImage], heatmaps: Bool) async throws -> [ModelOutput] {
        try images.enumerated().map { index, image in
            if image.bytes.starts(with: Array("BAD".utf8)) {
                throw InferenceInputError("input \"images\" element \(index + 1): not a PNG, JPEG or DICOM image")
            }
            let mean = image.bytes.isEmpty ? 0 : Double(image.bytes.reduce(0) { $0 + Int($1) }) / Double(image.bytes.count) / 255
            return FakeModel.output(mean: mean, heatmaps: heatmaps)
        }
    }

    public func infer(tensor: [Float], shape: [Int], heatmaps: Bool) async throws -> [ModelOutput] {
        let size = shape.dropFirst().reduce(1, *)
        return (0..<shape[0]).map { n in
            let slice = tensor[(n * size)..<((n + 1) * size)]
            return FakeModel.output(mean: Double(slice.reduce(0, +)) / Double(size), heatmaps: heatmaps)
        }
    }
}

import Evaluation
import Foundation
import Imaging

/// The trained chest model as the runners of predict, eval and localize use it.
extension ChestModel: ChestClassifier {
    public var classNames: [String] { card.classes }
    public var thresholds: [Float] { card.thresholds }
    public var preferredBatchSize: Int { 8 }

    /// How images are prepared for this model: resized straight to the card's square input
    /// size (chest films are near square; a centre crop would cut lung edges), area
    /// resampling, normalized with the card's statistics.
    /// - Throws: `ChestModelError.invalidCard` for statistics Imaging cannot apply (three
    ///   channels other than ImageNet's).
    public static func preprocessing(for card: ModelCard) throws -> Preprocessing {
        let p = card.preprocessing
        let normalization: Normalization
        if p.channels == 1 {
            normalization = .singleChannel(mean: p.mean[0], standardDeviation: p.standardDeviation[0])
        } else if p.channels == 3, p.mean == Normalization.imageNetMean, p.standardDeviation == Normalization.imageNetStandardDeviation {
            normalization = .imageNet
        } else {
            throw ChestModelError.invalidCard("preprocessing with \(p.channels) channels, mean \(p.mean) is not supported (1 channel, or 3 with ImageNet statistics)")
        }
        return Preprocessing(outputSize: p.inputSize, resizeSize: nil, method: .area, normalization: normalization)
    }

    /// (N, channels, size, size) row-major: `images` prepared as `card` says, the network's
    /// input as `predict(images:count:heatmaps:)` takes it. `thorax predict` and the HTTP
    /// service both prepare images here, so a served image is the same input as a predicted file.
    /// - Throws: `ChestModelError.invalidCard` for statistics Imaging cannot apply.
    public static func prepare(_ images: [GrayscaleImage], for card: ModelCard) throws -> [Float] {
        let preprocessing = try preprocessing(for: card)
        let perImage = preprocessing.valuesPerImage
        var values = [Float](repeating: 0, count: images.count * perImage)
        values.withUnsafeMutableBufferPointer { buffer in
            for (index, image) in images.enumerated() {
                preprocessing.apply(image, into: UnsafeMutableBufferPointer(rebasing: buffer[index * perImage ..< (index + 1) * perImage]))
            }
        }
        return values
    }

    /// Preprocesses `images` as the card says (`prepare`) and runs them in one batch.
    public func classify(_ images: [GrayscaleImage], heatmaps: Bool) throws -> [Prediction] {
        guard !images.isEmpty else { return [] }
        return try predict(images: Self.prepare(images, for: card), count: images.count, heatmaps: heatmaps)
    }
}

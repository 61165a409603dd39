import Evaluation
import Foundation
import Imaging
@testable import Pipeline

/// A classifier with known answers for testing the runners apart from any network.
///
/// Heatmap of every class: the image's mean gray value in each cell of a `side` × `side` grid
/// (the image must divide evenly), so a bright rectangle on a dark image is a hot region where
/// it is. Probability of class c: (mean gray / 255) for even c and 1 − that for odd c, so a
/// bright image is "present" for even classes and absent for odd ones at threshold 0.5.
final class CellMeanClassifier: ChestClassifier {
    let classNames: [String]
    let thresholds: [Float]
    let preferredBatchSize: Int
    let side: Int
    /// Sizes of the batches it was given, in order.
    private(set) var batchSizes: [Int] = []

    init(classNames: [String] = CellMeanClassifier.fourteen, side: Int = 8, batchSize: Int = 2, thresholds: [Float]? = nil) {
        self.classNames = classNames
        self.thresholds = thresholds ?? classNames.map { _ in 0.5 }
        self.side = side
        self.preferredBatchSize = batchSize
    }

    static let fourteen = ["Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule", "Pneumonia",
                           "Pneumothorax", "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening", "Hernia"]

    func classify(_ images: [GrayscaleImage], heatmaps: Bool) throws -> [Prediction] {
        batchSizes.append(images.count)
        return try images.map { image in
            let mean = Float(image.pixels.reduce(0) { $0 + Int($1) }) / Float(image.pixels.count) / 255
            let probabilities = classNames.indices.map { $0 % 2 == 0 ? mean : 1 - mean }
            guard heatmaps else { return try prediction(probabilities: probabilities) }
            let map = try Heatmap(width: side, height: side, values: Self.cellMeans(image, side: side))
            return try prediction(probabilities: probabilities, heatmaps: classNames.map { _ in map })
        }
    }

    static func cellMeans(_ image: GrayscaleImage, side: Int) -> [Float] {
        let cellWidth = image.width / side, cellHeight = image.height / side
        var values = [Float](repeating: 0, count: side * side)
        for y in 0..<image.height {
            for x in 0..<image.width {
                values[(y / cellHeight) * side + x / cellWidth] += Float(image[x, y])
            }
        }
        return values.map { $0 / Float(cellWidth * cellHeight) }
    }

    /// A dark `size` × `size` image with the rectangle [x0, x1) × [y0, y1) at `value`.
    static func image(size: Int, rectangle: (x0: Int, y0: Int, x1: Int, y1: Int), value: UInt8 = 255) -> GrayscaleImage {
        var image = GrayscaleImage(width: size, height: size, filledWith: 0)
        for y in rectangle.y0..<rectangle.y1 {
            for x in rectangle.x0..<rectangle.x1 { image.pixels[y * size + x] = value }
        }
        return image
    }
}

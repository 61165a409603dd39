import Evaluation
import Imaging
import Reporting

/// One decoded image with its prediction, and what is drawn from the prediction's heatmaps in
/// the image's own pixels: each class's boxes and its figure. `thorax predict --heatmaps` and
/// the HTTP service's `/v1/predict` both draw through it, so they give the same boxes and figures.
public struct ImageHeatmaps: Sendable {
    public let image: GrayscaleImage
    /// The classes, with one S×S heatmap per class (boxes and figures need them).
    public let prediction: Prediction
    /// Box generation with its frame set to the image's size.
    public let boxExtraction: BoxExtraction

    /// - Parameter boxExtraction: thresholds and box count; its frame is replaced by the image's size.
    public init(image: GrayscaleImage, prediction: Prediction, boxExtraction: BoxExtraction = BoxExtraction()) {
        self.image = image
        self.prediction = prediction
        var extraction = boxExtraction
        extraction.frameWidth = max(1, image.width)
        extraction.frameHeight = max(1, image.height)
        self.boxExtraction = extraction
    }

    /// Whether class `index` has a heatmap to draw from (the prediction was made with heatmaps).
    public func hasHeatmap(ofClass index: Int) -> Bool {
        index >= 0 && index < prediction.heatmaps.count
    }

    /// The boxes of class `index`'s heatmap in the image's pixels, largest first.
    /// - Precondition: `hasHeatmap(ofClass: index)`.
    public func boxes(ofClass index: Int) -> [BoundingBox] {
        boxExtraction.boxes(in: prediction.heatmaps[index]).map(\.box)
    }

    /// The figure of class `index`: the image with the class's heatmap blended over it and
    /// `boxes` (from `boxes(ofClass:)`, in the image's pixels) drawn in red.
    /// - Precondition: `hasHeatmap(ofClass: index)`.
    public func figure(ofClass index: Int, boxes: [BoundingBox]) -> RGBImage {
        HeatmapFigure.render(image: image, heatmap: prediction.heatmaps[index], detections: boxes,
                             frameWidth: boxExtraction.frameWidth, frameHeight: boxExtraction.frameHeight)
    }
}

import Evaluation
import Foundation
import Imaging
import Reporting

/// A heatmap figure written for one present class.
public struct HeatmapOutput: Equatable, Sendable, Codable {
    public var className: String
    /// The PNG written (path as given by the output directory).
    public var file: String
    /// The boxes generated from the heatmap, in the image's own pixels, largest first.
    public var boxes: [BoundingBox]
}

/// What the model said about one image file: the file, its size, its `Prediction` (written as
/// its `classes`) and the figures drawn from the prediction's heatmaps.
public struct ImagePrediction: Equatable, Sendable, Codable {
    public var path: String
    public var width: Int
    public var height: Int
    /// The classes; its heatmaps are drawn into `heatmaps`' figures and not kept.
    public var prediction: Prediction
    /// Figures of the present classes, when heatmaps were asked for.
    public var heatmaps: [HeatmapOutput]

    public init(path: String, width: Int, height: Int, prediction: Prediction, heatmaps: [HeatmapOutput] = []) {
        self.path = path
        self.width = width
        self.height = height
        self.prediction = prediction
        self.heatmaps = heatmaps
    }

    /// One per class, in the model's class order.
    public var classes: [ClassPrediction] { prediction.classes }

    /// The classes at or above their threshold.
    public var presentClasses: [String] { prediction.presentClasses }

    private enum CodingKeys: String, CodingKey { case path, width, height, classes, heatmaps }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decode(String.self, forKey: .path)
        width = try container.decode(Int.self, forKey: .width)
        height = try container.decode(Int.self, forKey: .height)
        prediction = Prediction(classes: try container.decode([ClassPrediction].self, forKey: .classes))
        heatmaps = try container.decode([HeatmapOutput].self, forKey: .heatmaps)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(width, forKey: .width)
        try container.encode(height, forKey: .height)
        try container.encode(prediction.classes, forKey: .classes)
        try container.encode(heatmaps, forKey: .heatmaps)
    }
}

/// The result of predicting a list of files: one prediction per readable file, one failure per
/// other file, both in input order.
public struct PredictionReport: Equatable, Sendable, Codable {
    public var model: String
    public var predictions: [ImagePrediction]
    public var failures: [FileFailure]

    /// Per image: its path and size, then a line per class with probability, threshold and a
    /// "yes" where the class is present; then the heatmap files. Numbers to four places.
    public var text: String {
        var blocks: [String] = []
        for prediction in predictions {
            var lines: [[String]] = [["Class", "Probability", "Threshold", "Present"]]
            for entry in prediction.classes {
                lines.append([entry.className, String(format: "%.4f", entry.probability),
                              String(format: "%.4f", entry.threshold), entry.present ? "yes" : ""])
            }
            var block = "\(prediction.path) (\(prediction.width)×\(prediction.height))\n" + TableText.render(lines)
            for heatmap in prediction.heatmaps {
                block += "heatmap \(heatmap.className): \(heatmap.file) (\(heatmap.boxes.count) box\(heatmap.boxes.count == 1 ? "" : "es"))\n"
            }
            blocks.append(block)
        }
        return blocks.joined(separator: "\n")
    }
}

/// `thorax predict`: classifies image files and, when asked, writes a heatmap figure for each
/// class at or above its threshold.
public struct PredictionRunner {
    public var classifier: ChestClassifier
    /// The model's name as reports show it.
    public var modelName: String
    /// Where heatmap figures go (created if needed); nil writes none and computes no heatmaps.
    /// Reports give figure paths inside it as given here.
    public var heatmapDirectory: String?
    /// Box generation for the figures. Its frame is replaced by each image's own size, so the
    /// boxes are in the image's pixels.
    public var boxExtraction = BoxExtraction()

    public init(classifier: ChestClassifier, modelName: String, heatmapDirectory: String? = nil) {
        self.classifier = classifier
        self.modelName = modelName
        self.heatmapDirectory = heatmapDirectory
    }

    /// Predicts every file of `paths` (PNG, JPEG, DICOM).
    ///
    /// A file that is missing, unreadable or not an image becomes a `FileFailure` naming it;
    /// the others are still predicted. Figures are named `<image>-<class>.png`; two inputs with
    /// the same file name get `-2`, `-3`… after the image name.
    ///
    /// - Throws: `EvaluationError.cannotWrite` when the heatmap directory cannot be created
    ///   or a figure cannot be written (an output problem stops the run).
    public func run(paths: [String], progress: ((Int, Int) -> Void)? = nil) throws -> PredictionReport {
        if let heatmapDirectory { try FigureFile.createDirectory(heatmapDirectory) }
        var report = PredictionReport(model: modelName, predictions: [], failures: [])
        var usedStems: [String: Int] = [:]
        try classifier.classifyFiles(paths, heatmaps: heatmapDirectory != nil, progress: progress) { index, result in
            switch result {
            case .failure(let failure):
                report.failures.append(failure)
            case .success(let (image, prediction)):
                var figures: [HeatmapOutput] = []
                if let heatmapDirectory {
                    var imageName = URL(fileURLWithPath: paths[index]).lastPathComponent
                    let stem = (imageName as NSString).deletingPathExtension
                    let seen = usedStems[stem, default: 0] + 1
                    usedStems[stem] = seen
                    if seen > 1 { imageName = "\(stem)-\(seen)" }
                    figures = try writeFigures(image: image, imageName: imageName, prediction: prediction, into: heatmapDirectory)
                }
                // The maps are drawn into the figures; a report of many images keeps none of them.
                var kept = prediction
                kept.heatmaps = []
                report.predictions.append(ImagePrediction(path: paths[index], width: image.width, height: image.height,
                                                          prediction: kept, heatmaps: figures))
            }
        }
        return report
    }

    /// Draws the heatmap of each present class with its boxes, computed once in the image's pixels.
    private func writeFigures(image: GrayscaleImage, imageName: String, prediction: Prediction,
                              into directory: String) throws -> [HeatmapOutput] {
        let drawing = ImageHeatmaps(image: image, prediction: prediction, boxExtraction: boxExtraction)
        var outputs: [HeatmapOutput] = []
        for (c, entry) in prediction.classes.enumerated() where entry.present && drawing.hasHeatmap(ofClass: c) {
            let boxes = drawing.boxes(ofClass: c)
            let figure = drawing.figure(ofClass: c, boxes: boxes)
            let path = (directory as NSString).appendingPathComponent(
                HeatmapFigure.fileName(imageName: imageName, className: entry.className))
            try FigureFile.write(figure, to: URL(fileURLWithPath: path))
            outputs.append(HeatmapOutput(className: entry.className, file: path, boxes: boxes))
        }
        return outputs
    }
}

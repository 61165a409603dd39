import Evaluation
import Foundation
import Reporting
import Store

extension TruthBox {
    /// A stored box as the scoring takes it.
    public init(className: String, box: BoundingBox) {
        self.init(className: className, x: box.x, y: box.y, width: box.width, height: box.height)
    }

    /// The box in the stored frame.
    public var box: BoundingBox { BoundingBox(x: x, y: y, width: width, height: height) }
}

/// The localization benchmark of one model on boxed images.
public struct LocalizationReport: Sendable, Encodable {
    /// The paper's table: accuracy and AFP per class at each threshold.
    public var table: LocalizationTable
    /// One per (image, boxed class): truth boxes and generated boxes, in the box frame.
    public var cases: [LocalizationCase]
    /// Figures written (paths as given by the output directory), one per case, when asked.
    public var figures: [String]
    /// Boxed images asked for, and those skipped because their file is not on disk.
    public var requested: Int
    public var missing: Int
    /// Files that exist but could not be decoded or classified.
    public var failures: [FileFailure]
    /// Boxes of classes the model does not have (class name: count); they are not scored.
    public var unscoredBoxes: [String: Int]

    /// The table in the paper's layout and a line on what was scored and skipped.
    public var text: String {
        var text = table.text
        let images = Set(cases.map(\.imageName)).count
        text += "\(requested) boxed images requested, \(images) scored, \(missing) missing on disk"
        if !failures.isEmpty { text += ", \(failures.count) unreadable" }
        text += "\n"
        for (className, count) in unscoredBoxes.sorted(by: { $0.key < $1.key }) {
            text += "\(count) box\(count == 1 ? "" : "es") of \(className) not scored: the model has no such class\n"
        }
        return text
    }
}

/// `thorax localize`: for every image with hand-drawn boxes, the heatmap of each boxed class,
/// its generated boxes (`BoxExtraction`: normalized to 0–255, thresholds 60 and 180, boxes
/// around connected regions, mapped to the box frame), scored with `LocalizationScoring`.
public struct LocalizationRunner {
    public var classifier: ChestClassifier
    public var modelName: String
    /// Box generation; its frame is the frame of the truth boxes (NIH: 1024 × 1024).
    public var boxExtraction = BoxExtraction()
    public var thresholds = LocalizationThreshold.paper
    /// Where to write one figure per scored (image, class); nil writes none.
    public var figureDirectory: String?

    /// The table's columns always include the paper's eight boxed classes (those of
    /// BBox_List_2017.csv), then any other scored class in the model's order.
    public static let paperClasses = ["Atelectasis", "Cardiomegaly", "Effusion", "Infiltration",
                                      "Mass", "Nodule", "Pneumonia", "Pneumothorax"]

    public init(classifier: ChestClassifier, modelName: String, figureDirectory: String? = nil) {
        self.classifier = classifier
        self.modelName = modelName
        self.figureDirectory = figureDirectory
    }

    /// Localizes and scores `images`.
    ///
    /// - Throws: `EvaluationError.cannotWrite` when a figure cannot be written; scoring errors
    ///   (an image listed twice gives a repeated (image, class) pair, named).
    public func run(images: [BoxedImage], progress: ((Int, Int) -> Void)? = nil) throws -> LocalizationReport {
        if let figureDirectory { try FigureFile.createDirectory(figureDirectory) }
        let classIndex = Dictionary(classifier.classNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let onDisk = images.filter { image in image.path.map { FileManager.default.fileExists(atPath: $0) } ?? false }
        var cases: [LocalizationCase] = []
        var figures: [String] = []
        var failures: [FileFailure] = []
        var unscored: [String: Int] = [:]
        try classifier.classifyFiles(onDisk.map { $0.path! }, heatmaps: true, progress: progress) { index, result in
            let boxed = onDisk[index]
            switch result {
            case .failure(let failure):
                failures.append(failure)
            case .success(let (image, prediction)):
                // The image's boxed classes, in the model's class order.
                var byClass: [Int: [BoundingBox]] = [:]
                for truth in boxed.boxes {
                    if let c = classIndex[truth.className] {
                        byClass[c, default: []].append(truth.box)
                    } else {
                        unscored[truth.className, default: 0] += 1
                    }
                }
                for (c, truthBoxes) in byClass.sorted(by: { $0.key < $1.key }) {
                    guard c < prediction.heatmaps.count else {
                        throw EvaluationError.lengthMismatch(what: "heatmaps of \(boxed.name)",
                                                             expected: classifier.classNames.count,
                                                             found: prediction.heatmaps.count)
                    }
                    let heatmap = prediction.heatmaps[c]
                    let detections = boxExtraction.boxes(in: heatmap).map(\.box)
                    let className = classifier.classNames[c]
                    cases.append(LocalizationCase(imageName: boxed.name, className: className,
                                                  truthBoxes: truthBoxes, detections: detections))
                    if let figureDirectory {
                        let figure = HeatmapFigure.render(image: image, heatmap: heatmap, detections: detections,
                                                          truth: truthBoxes, frameWidth: boxExtraction.frameWidth,
                                                          frameHeight: boxExtraction.frameHeight)
                        let path = (figureDirectory as NSString).appendingPathComponent(
                            HeatmapFigure.fileName(imageName: boxed.name, className: className))
                        try FigureFile.write(figure, to: URL(fileURLWithPath: path))
                        figures.append(path)
                    }
                }
            }
        }
        let scoredClasses = Set(cases.map(\.className))
        let columns = Self.paperClasses + classifier.classNames.filter {
            scoredClasses.contains($0) && !Self.paperClasses.contains($0)
        }
        let table = try LocalizationScoring.table(cases: cases, classNames: columns, thresholds: thresholds, model: modelName)
        return LocalizationReport(table: table, cases: cases, figures: figures, requested: images.count,
                                  missing: images.count - onDisk.count, failures: failures, unscoredBoxes: unscored)
    }
}

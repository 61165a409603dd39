import Evaluation
import Foundation
import Reporting
import Reports
import Store

/// The README's first command, in process: from the bundled samples, build a database, label
/// the sample reports into it, predict every sample image with heatmaps, evaluate on the sample test
/// images, localize on the boxed ones, and write one HTML page with all of it.
///
/// Samples layout (the repository's `Samples/`):
/// - `nih/`: `Data_Entry_2017_v2020.csv`, `BBox_List_2017.csv`, `train_val_list.txt`,
///   `test_list.txt` (rows of the NIH release for the bundled images) and `images/`.
/// - `openi/reports/`: OpenI XML reports.
///
/// Output directory: `thorax.sqlite`, `images/` (copies of the sample images, so the page is
/// self-contained), `heatmaps/` (figures of present classes), `localization/` (figures with
/// truth and detected boxes), `roc.svg`, `report.html`. An existing database there is replaced.
public struct DemoPipeline {
    public var samplesDirectory: URL
    public var outputDirectory: URL
    public var classifier: ChestClassifier
    public var modelName: String
    /// Bootstrap resamples of the AUC intervals.
    public var resamples = 1000
    /// The model as the database registers it; when set, the probabilities of every predicted
    /// image (and its `model` labels at the thresholds) are stored in the demo's database, as
    /// `thorax predict --database` stores them.
    public var modelRecord: ModelRecord?

    public init(samplesDirectory: URL, outputDirectory: URL, classifier: ChestClassifier, modelName: String) {
        self.samplesDirectory = samplesDirectory
        self.outputDirectory = outputDirectory
        self.classifier = classifier
        self.modelName = modelName
    }

    /// What the demo did.
    public struct Summary: Sendable {
        public var reportsLabelled: Int
        public var reportFailures: [String]
        public var imagesImported: Int
        public var boxesImported: Int
        public var prediction: PredictionReport
        /// What was stored in the database (nil without a `modelRecord`).
        public var storedPredictions: PredictionStorageSummary?
        public var evaluation: EvaluationReport?
        /// Why there is no evaluation (e.g. no class with both positives and negatives).
        public var evaluationProblem: String?
        public var localization: LocalizationReport
        public var page: URL
        /// Seconds per step, in order.
        public var timings: [(step: String, seconds: Double)]
    }

    /// Runs every step; `log` receives a line as each step starts.
    ///
    /// - Throws: `StoreError` naming a bad sample file, `EvaluationError.cannotWrite` naming an
    ///   output that cannot be written; model errors. Unreadable images or reports do not stop
    ///   the demo: they are listed in the summary and on the page.
    public func run(log: (String) -> Void = { _ in }) throws -> Summary {
        var timings: [(step: String, seconds: Double)] = []
        var current: (name: String, start: Date)?
        // Ends the current step (recording its time) and starts `name`; nil only ends.
        func step(_ name: String?) {
            let now = Date()
            if let current { timings.append((current.name, now.timeIntervalSince(current.start))) }
            current = name.map { ($0, now) }
            if let name { log(name) }
        }
        let fileManager = FileManager.default
        for folder in ["images", "heatmaps", "localization"] {
            try FigureFile.createDirectory(outputDirectory.appendingPathComponent(folder).path)
        }

        // 1. Database from the NIH sample rows and images.
        step("building the database")
        let nih = samplesDirectory.appendingPathComponent("nih")
        let databaseURL = outputDirectory.appendingPathComponent("thorax.sqlite")
        for suffix in ["", "-wal", "-shm"] { try? fileManager.removeItem(atPath: databaseURL.path + suffix) }
        let release = try NIHRelease.read(
            dataEntry: nih.appendingPathComponent("Data_Entry_2017_v2020.csv"),
            boxes: nih.appendingPathComponent("BBox_List_2017.csv"),
            trainValidationList: nih.appendingPathComponent("train_val_list.txt"),
            testList: nih.appendingPathComponent("test_list.txt"))
        let database = try ThoraxDatabase(path: databaseURL.path)
        let imported = try database.importNIH(release, imagesDirectory: nih.appendingPathComponent("images"))

        // 2. The sample reports, labelled by the labeller, into the same database.
        step("labelling the sample reports")
        let reports = try database.importReports(
            ReportReader(paths: [samplesDirectory.appendingPathComponent("openi/reports").path]),
            source: "openi", labeler: ReportLabeler())
        let reportLabels = try database.statistics().labelsBySource["labeller"] ?? [:]

        // 3. Predict every sample image on disk, with heatmaps of the present classes.
        step("predicting the sample images")
        let all = try database.labelledImages(split: ThoraxDatabase.officialSplit, part: ThoraxDatabase.officialTest)
            + database.labelledImages(split: ThoraxDatabase.officialSplit, part: ThoraxDatabase.officialTrainValidation)
        let onDisk = all.filter { $0.path != nil }.sorted { $0.name < $1.name }
        let heatmapFolder = outputDirectory.appendingPathComponent("heatmaps").path
        let prediction = try PredictionRunner(classifier: classifier, modelName: modelName,
                                              heatmapDirectory: heatmapFolder)
            .run(paths: onDisk.map { $0.path! })
        var stored: PredictionStorageSummary?
        if let modelRecord {
            let identifiers = Dictionary(onDisk.map { ($0.path!, $0.id) }, uniquingKeysWith: { first, _ in first })
            let results = prediction.predictions.compactMap { predicted in
                identifiers[predicted.path].map { ImageProbabilities(imageID: $0, probabilities: predicted.prediction.probabilities) }
            }
            stored = try database.storePredictions(results, of: modelRecord)
        }

        // 4. Evaluate on the sample test images (never trained on).
        step("evaluating on the sample test images")
        var evaluation: EvaluationReport?
        var evaluationProblem: String?
        do {
            let test = try database.labelledImages(split: ThoraxDatabase.officialSplit, part: ThoraxDatabase.officialTest)
            evaluation = try EvaluationRunner(classifier: classifier, modelName: modelName,
                                              bootstrap: BootstrapOptions(resamples: resamples)).run(images: test)
            try ROCCurveSVG(title: "ROC curves on the sample test images", evaluation: evaluation!.evaluation)
                .write(to: outputDirectory.appendingPathComponent("roc.svg"))
        } catch let error as EvaluationError {
            evaluationProblem = error.description
        }

        // 5. Localize on the boxed images.
        step("localizing on the boxed images")
        let localization = try LocalizationRunner(classifier: classifier, modelName: modelName,
                                                  figureDirectory: outputDirectory.appendingPathComponent("localization").path)
            .run(images: database.boxedImages())

        // 6. The page.
        step("writing the HTML page")
        let page = outputDirectory.appendingPathComponent("report.html")
        var images: [HTMLReport.Image] = []
        for (image, predicted) in zip(onDisk, onDisk.map { labelledImage in
            prediction.predictions.first { $0.path == labelledImage.path }
        }) {
            let copy = "images/" + image.name
            let target = outputDirectory.appendingPathComponent(copy)
            try? fileManager.removeItem(at: target)
            do {
                try fileManager.copyItem(atPath: image.path!, toPath: target.path)
            } catch {
                throw EvaluationError.cannotWrite(path: target.path, reason: error.localizedDescription)
            }
            var overlays = (predicted?.heatmaps ?? []).map { heatmap in
                HTMLReport.Overlay(className: heatmap.className, path: "heatmaps/" + URL(fileURLWithPath: heatmap.file).lastPathComponent,
                                   caption: "predicted, \(heatmap.boxes.count) box\(heatmap.boxes.count == 1 ? "" : "es")")
            }
            for scored in localization.cases where scored.imageName == image.name {
                overlays.append(HTMLReport.Overlay(
                    className: scored.className,
                    path: "localization/" + HeatmapFigure.fileName(imageName: image.name, className: scored.className),
                    caption: Self.localizationCaption(scored)))
            }
            let labels = Findings.classes.indices.filter { image.labels[$0] == 1 }.map { Findings.classes[$0] }
            images.append(HTMLReport.Image(
                name: image.name, path: copy, labels: labels.isEmpty ? ["No Finding"] : labels,
                classes: predicted?.classes ?? [],
                overlays: overlays))
        }
        var notes = [
            "Model: \(modelName). Images: \(onDisk.count) bundled NIH ChestX-ray14 images "
                + "(\(imported.imagesAdded) imported with \(imported.boxesAdded) hand-drawn boxes); "
                + "probabilities at or above the model's thresholds are highlighted, and each gets a heatmap with its boxes.",
            Self.labellingNote(reports, positives: reportLabels),
        ]
        if let stored {
            notes.append("Predictions stored in thorax.sqlite: \(stored.predictions) probabilities of \(stored.images) images "
                + "as model \(stored.model.id) (\(stored.model.name)), with \(stored.positives) labels of source 'model' "
                + "at its thresholds (read them back with thorax db export --predictions \(stored.model.id)).")
        }
        if let evaluation {
            notes.append("Classification: ROC AUC on the \(evaluation.table.imageCount) sample images of the official test list. "
                + "With one or two positives per class these numbers illustrate the table; they are not a benchmark.")
        } else if let evaluationProblem {
            notes.append("Classification: not computed (\(evaluationProblem)).")
        }
        notes.append("Localization: boxes from each boxed class's heatmap (normalized to 0–255, thresholds 60 and 180, "
            + "1024-pixel frame) scored against the hand-drawn boxes of \(Set(localization.cases.map(\.imageName)).count) images.")
        for failure in prediction.failures + localization.failures { notes.append("Unreadable: \(failure)") }
        let report = HTMLReport(
            title: "Thorax demo: ChestX-ray8 pipeline on the bundled samples", notes: notes, images: images,
            classification: evaluation?.table, localization: localization.table,
            rocCurves: evaluation.map { ROCCurveSVG(title: "ROC curves on the sample test images", evaluation: $0.evaluation) })
        try report.write(to: page)
        step(nil)
        return Summary(reportsLabelled: reports.read - reports.failures.count, reportFailures: reports.failures,
                       imagesImported: imported.imagesAdded, boxesImported: imported.boxesAdded,
                       prediction: prediction, storedPredictions: stored, evaluation: evaluation, evaluationProblem: evaluationProblem,
                       localization: localization, page: page, timings: timings)
    }

    /// "hand-drawn box in green; 2 generated in red, best IoU 0.41, IoBB 0.93".
    static func localizationCaption(_ scored: LocalizationCase) -> String {
        let overlaps = scored.detectionOverlaps
        var caption = "hand-drawn box\(scored.truthBoxes.count == 1 ? "" : "es") in green; \(scored.detections.count) generated in red"
        if let iou = overlaps.map(\.intersectionOverUnion).max(), let iobb = overlaps.map(\.intersectionOverDetectedBox).max() {
            caption += String(format: ", best IoU %.2f, IoBB %.2f", iou, iobb)
        }
        return caption
    }

    /// One line on the labelled reports: how many, and the positive labels per class (the 14
    /// in order, then No Finding), as the database counts them.
    static func labellingNote(_ reports: ReportImportSummary, positives: [String: Int]) -> String {
        let counts = (Findings.classes + [Findings.noFinding]).compactMap { name in positives[name].map { "\(name) \($0)" } }
        var note = "Report labelling: \(reports.read - reports.failures.count) bundled OpenI reports labelled into the database"
        if !counts.isEmpty { note += "; positive labels: " + counts.joined(separator: ", ") }
        if !reports.failures.isEmpty { note += "; \(reports.failures.count) unreadable" }
        return note + "."
    }
}

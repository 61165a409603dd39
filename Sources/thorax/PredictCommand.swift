import ArgumentParser
import Pipeline
import Foundation
import Store

/// `thorax predict`: class probabilities of image files and, when asked, heatmap figures.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict the 14 findings on chest X-ray images (PNG, JPEG, DICOM).",
        discussion: """
        Prints each image's probability per class, its threshold (from the model card) and \
        whether the class is present. With --heatmaps, writes for each present class a PNG of \
        the image with the class's CAM heatmap and the boxes drawn around its hot regions \
        (normalized to 0-255, thresholds 60 and 180). A file that cannot be read gets an error \
        on standard error naming it; the others are still predicted, and the exit status is 1 \
        (with no file at all, the model is not loaded).

        With --database, the probabilities are also stored there (one transaction), with the \
        classes at or above their thresholds as labels of source `model`; the model is \
        registered by the SHA-256 of its weights, and predicting an image again replaces its \
        rows. Each file must be an image of the database, found by the path an import \
        recorded or by its file name (the NIH Image Index); a file that is not is predicted \
        but not stored, and named in an error (exit status 1).

        Example:
          thorax predict --heatmaps heatmaps chest.png film.jpg study.dcm
          thorax predict --database thorax.sqlite images/00000001_000.png
        """)

    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: "Image files: PNG, JPEG or DICOM.")
    var images: [String]

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    @Option(help: "Directory for heatmap figures of the present classes (created if needed).")
    var heatmaps: String?

    @Option(help: "Store the probabilities in this database file (it must exist and hold the images; never created).")
    var database: String?

    func validate() throws {
        if images.isEmpty { throw ValidationError("give at least one image file") }
    }

    func run() throws {
        // Everything is checked before the model loads, so a wrong path fails at once.
        try modelOptions.requireModel()
        if let heatmaps { try requireOutputFolder(heatmaps, option: "--heatmaps") }
        var store: (database: ThoraxDatabase, images: [String: StoredImageReference?])?
        if let database {
            let opened = try ThoraxDatabase(existingAt: database, access: .update)
            store = (opened, Dictionary(zip(images, try opened.images(forFiles: images)), uniquingKeysWith: { first, _ in first }))
        }
        if !images.contains(where: { PathKind($0) == .file }) {
            printFailures(images.map { FileFailure(path: $0, reason: PathKind($0) == .missing ? "no such file" : "a folder, not an image file") })
            FileHandle.standardError.write(Data("predicted nothing: no input is a file\n".utf8))
            throw ExitCode(1)
        }
        let (model, name) = try modelOptions.load()
        let runner = PredictionRunner(classifier: model, modelName: name, heatmapDirectory: heatmaps)
        let progress = ProgressLine("predict", total: images.count, unit: "images")
        var report = try runner.run(paths: images, progress: { done, _ in progress.update(done) })
        progress.finish()
        if let store, let database {
            var results: [ImageProbabilities] = []
            for prediction in report.predictions {
                guard let image = store.images[prediction.path] ?? nil else {
                    let name = URL(fileURLWithPath: prediction.path).lastPathComponent
                    report.failures.append(FileFailure(path: prediction.path, reason:
                        "not stored: \(database) has no image recorded at this path or named \(name)"))
                    continue
                }
                results.append(ImageProbabilities(imageID: image.id, probabilities: prediction.prediction.probabilities))
            }
            try storeModelPredictions(results, model: modelOptions.model, in: store.database, path: database)
        }
        // The card's one line first: what the model is, what it measured and how, not for clinical use.
        try printResult(report, json: json, text: "Model: \(report.model)\nCard: \(model.card.summary)\n" + report.text,
                        failures: report.failures)
    }
}

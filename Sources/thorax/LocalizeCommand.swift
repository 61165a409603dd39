import ArgumentParser
import Pipeline
import Foundation
import Store

/// `thorax localize`: the paper's localization benchmark on the database's hand-drawn boxes.
struct LocalizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "localize",
        abstract: "Score heatmap boxes against the hand-drawn boxes (IoU, IoBB), as the paper's Table 3.",
        discussion: """
        For every image with hand-drawn boxes that is on disk: the CAM heatmap of each boxed \
        class, resized to the 1024-pixel frame of the boxes, normalized to 0-255, thresholded at \
        60 and at 180; a box around each connected region (the 3 largest kept). A truth box is \
        localized when any box of its image and class overlaps it by more than T; every box \
        that localizes nothing is a false positive. Accuracy and average false positives per \
        heatmap are given per class at T(IoU) = 0.1 ... 0.7 and T(IoBB) = 0.1 ... 0.9. \
        With --output, writes a figure per (image, class): heatmap, truth in green, boxes in red. \
        With --record-in-card, the table, the films and boxes it stands on and a caveat (under \
        100 boxes: an anecdote) are written into the model's card (model.json, replaced \
        atomically).

        Example:
          thorax localize --model default --database thorax.sqlite --output localization
          thorax localize --model runs/lite0/model --database thorax.sqlite --record-in-card
        """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "The database file (it must exist).")
    var database: String = ThoraxDatabase.defaultFileName

    @Option(help: "Directory for the figures (created if needed).")
    var output: String?

    @Flag(help: "Print JSON (table, and each image's truth and generated boxes) instead of the table.")
    var json = false

    @Flag(help: "Also write the table and the number of films and boxes it stands on into the model's card (model.json).")
    var recordInCard = false

    func run() throws {
        // Everything is checked before the model loads, so a mistake fails at once.
        try modelOptions.requireModel()
        if let output { try requireOutputFolder(output, option: "--output") }
        let images = try ThoraxDatabase(existingAt: database, access: .read).boxedImages()
        guard !images.isEmpty else {
            throw InputFileError("\(database) holds no hand-drawn boxes to score against (`thorax db import-nih --bbox` imports them)")
        }
        guard images.contains(where: { image in image.path.map { PathKind($0) == .file } ?? false }) else {
            throw InputFileError("\(database): none of the \(images.count) boxed images has its file on disk (`thorax db import-nih --images FOLDER` records where they are)")
        }
        let (model, name) = try modelOptions.load()
        let runner = LocalizationRunner(classifier: model, modelName: name, figureDirectory: output)
        let progress = ProgressLine("localize", total: images.count, unit: "images")
        let report = try runner.run(images: images, progress: { done, _ in progress.update(done) })
        progress.finish()
        if recordInCard && !report.cases.isEmpty {
            // Read again and written whole: the card is replaced atomically, never half-written.
            let directory = try ModelDirectory.resolve(modelOptions.model)
            var card = try ModelCard.read(directory: directory)
            card.localization = report.cardSection(source: (database as NSString).lastPathComponent)
            try card.write(directory: directory)
            FileHandle.standardError.write(Data("recorded the localization table in \(directory.appendingPathComponent(ModelCard.fileName).path)\n".utf8))
        }
        try printResult(report, json: json, text: report.text, failures: report.failures)
    }
}

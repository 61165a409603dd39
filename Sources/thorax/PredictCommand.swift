import ArgumentParser
import CAD
import Foundation

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
        on standard error naming it; the others are still predicted, and the exit status is 1.

        Example:
          thorax predict --heatmaps heatmaps chest.png film.jpg study.dcm
        """)

    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: "Image files: PNG, JPEG or DICOM.")
    var images: [String]

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    @Option(help: "Directory for heatmap figures of the present classes (created if needed).")
    var heatmaps: String?

    func validate() throws {
        if images.isEmpty { throw ValidationError("give at least one image file") }
    }

    func run() throws {
        let (model, name) = try modelOptions.load()
        let runner = PredictionRunner(classifier: model, modelName: name, heatmapDirectory: heatmaps)
        let progress = ProgressLine("predict", total: images.count, unit: "images")
        let report = try runner.run(paths: images, progress: { done, _ in progress.update(done) })
        progress.finish()
        try printResult(report, json: json, text: "Model: \(report.model)\n" + report.text, failures: report.failures)
    }
}

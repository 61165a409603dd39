import ArgumentParser
import Pipeline
import Evaluation
import Foundation
import Reporting
import Store

/// `thorax demo`: the whole pipeline on the bundled samples, ending in one HTML page.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the pipeline on the bundled samples and write an HTML report.",
        discussion: """
        Labels the bundled OpenI reports, builds a database from the bundled NIH images and \
        their Data_Entry and box rows, predicts every image with the model (heatmaps and boxes \
        for the present classes), evaluates on the sample test images, localizes the boxed \
        findings, and writes OUTPUT/report.html with everything (figures beside it).

        Example:
          thorax demo --model default --samples Samples --output demo
        """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "The samples folder (nih/ and openi/ inside).")
    var samples: String = "Samples"

    @Option(help: "Output folder (created if needed); the database and figures of an earlier demo there are replaced.")
    var output: String = "demo"

    @Option(help: "Bootstrap resamples of the AUC intervals.")
    var resamples: Int = 1000

    func run() throws {
        let start = Date()
        try requireInputFolder(samples, option: "--samples")
        guard FileManager.default.fileExists(atPath: samples + "/nih/Data_Entry_2017_v2020.csv") else {
            throw InputFileError("\(samples): not a samples folder (no nih/Data_Entry_2017_v2020.csv in it); give --samples")
        }
        try requireOutputFolder(output, option: "--output")
        // The demo replaces its own database; one it did not make (no report.html beside it)
        // may be the user's, and is left alone.
        let database = (output as NSString).appendingPathComponent(ThoraxDatabase.defaultFileName)
        if PathKind(database) != .missing && PathKind((output as NSString).appendingPathComponent("report.html")) != .file {
            throw InputFileError("\(database): a database thorax demo did not write (no report.html beside it); give another --output")
        }
        try modelOptions.requireModel()
        let (model, name) = try modelOptions.load()
        var pipeline = DemoPipeline(samplesDirectory: URL(fileURLWithPath: samples),
                                    outputDirectory: URL(fileURLWithPath: output), classifier: model, modelName: name)
        pipeline.resamples = resamples
        pipeline.modelRecord = try ModelRecord.read(directory: ModelDirectory.resolve(modelOptions.model),
                                                    name: modelOptions.model == ModelDirectory.defaultName ? modelOptions.model : nil)
        let summary = try pipeline.run(log: { FileHandle.standardError.write(Data("demo: \($0)\n".utf8)) })
        print("labelled \(summary.reportsLabelled) reports; imported \(summary.imagesImported) images and \(summary.boxesImported) boxes")
        print("predicted \(summary.prediction.predictions.count) images")
        if let stored = summary.storedPredictions {
            print("stored \(stored.predictions) probabilities of \(stored.images) images as model \(stored.model.id) '\(stored.model.name)' in \(output)/thorax.sqlite")
        }
        if let evaluation = summary.evaluation {
            print(evaluation.table.paperLayoutText, terminator: "")
        } else if let problem = summary.evaluationProblem {
            print("classification not evaluated: \(problem)")
        }
        print(summary.localization.text, terminator: "")
        for (step, seconds) in summary.timings {
            FileHandle.standardError.write(Data("demo: \(step) took \(String(format: "%.2f", seconds)) s\n".utf8))
        }
        FileHandle.standardError.write(Data(String(format: "demo: %.1f s in all\n", Date().timeIntervalSince(start)).utf8))
        print("report: \(output)/report.html")
        printFailures(summary.prediction.failures + summary.localization.failures)
        for failure in summary.reportFailures { FileHandle.standardError.write(Data("error: \(failure)\n".utf8)) }
    }
}

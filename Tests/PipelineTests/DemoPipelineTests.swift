import Reporting
import XCTest
import TestSupport
@testable import Pipeline
import Store

final class DemoPipelineTests: XCTestCase {
    func testDemoOnTheBundledSamplesReplacesAStaleDatabaseAndWritesTheWholePage() throws {
        let output = try SharedData.temporaryDirectory("demo-pipeline")
        defer { try? FileManager.default.removeItem(at: output) }
        var pipeline = DemoPipeline(samplesDirectory: SharedData.repositoryRoot.appendingPathComponent("Samples"),
                                    outputDirectory: output, classifier: CellMeanClassifier(batchSize: 4, thresholds: [0] + Array(repeating: 2, count: 13)),
                                    modelName: "cells")
        pipeline.resamples = 20
        pipeline.modelRecord = ModelRecord(name: "cells", path: output.path, architecture: "cell-mean", classes: Findings.classes,
                                           thresholds: [0] + Array(repeating: 2, count: 13),
                                           contentHash: String(repeating: "ab", count: 32), card: "{}", created: "2026-11-26T00:00:00Z")
        var steps: [String] = []
        // A stale database from an earlier run is replaced, not added to.
        try Data("stale".utf8).write(to: output.appendingPathComponent("thorax.sqlite"))
        let summary = try pipeline.run(log: { steps.append($0) })

        XCTAssertEqual(steps, ["building the database", "labelling the sample reports", "predicting the sample images",
                               "evaluating on the sample test images", "localizing on the boxed images", "writing the HTML page"])
        XCTAssertEqual(summary.timings.map(\.step), steps)
        XCTAssertEqual(summary.reportsLabelled, 50)
        XCTAssertEqual(summary.imagesImported, 11)
        XCTAssertEqual(summary.boxesImported, 5)
        XCTAssertEqual(summary.prediction.predictions.count, 11)
        // Every prediction stored, with its 'model' labels at the thresholds (Atelectasis at 0: all present).
        XCTAssertEqual(summary.storedPredictions?.images, 11)
        XCTAssertEqual(summary.storedPredictions?.predictions, 11 * 14)
        XCTAssertEqual(summary.storedPredictions?.positives, 11)
        let database = try ThoraxDatabase(path: output.appendingPathComponent("thorax.sqlite").path)
        let exported = output.appendingPathComponent("stored.csv")
        XCTAssertEqual(try database.exportPredictions(modelID: XCTUnwrap(summary.storedPredictions?.model.id), to: exported), 11)
        XCTAssertEqual(summary.evaluation?.table.imageCount, 5)
        XCTAssertEqual(summary.localization.cases.map(\.imageName),
                       ["00001153_004.png", "00001369_000.png", "00002578_000.png", "00022084_000.png", "00026911_000.png"])
        let truthCounts = summary.localization.table.rows[0].classes.map(\.truthBoxes)
        XCTAssertEqual(truthCounts, [1, 1, 0, 1, 0, 1, 1, 0], "Atelectasis, Cardiomegaly, Infiltration, Nodule, Pneumonia")

        let html = try String(contentsOf: summary.page, encoding: .utf8)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>\n"))
        XCTAssertTrue(html.hasSuffix("</body>\n</html>\n"))
        for section in ["<h2>Images</h2>", "<h2>Classification</h2>", "<h2>ROC curves</h2>", "<h2>Localization</h2>",
                        "Report labelling: 50 bundled OpenI reports labelled into the database; positive labels: ",
                        "Predictions stored in thorax.sqlite: 154 probabilities of 11 images as model 1 (cells), with 11 labels"] {
            XCTAssertTrue(html.contains(section), section)
        }
        XCTAssertTrue(html.contains("<h3>00022084_000.png</h3>\n<p>Labels: Pneumonia, Edema</p>"), "labels in class order")
        let sources = html.components(separatedBy: "src=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        XCTAssertEqual(sources.filter { $0.hasPrefix("images/") }.count, 11)
        XCTAssertEqual(sources.filter { $0.hasPrefix("localization/") }.count, 5)
        XCTAssertEqual(sources.filter { $0.hasPrefix("heatmaps/") }.count, 11, "Atelectasis is always present")
        for source in sources {
            XCTAssertTrue(FileManager.default.fileExists(atPath: output.appendingPathComponent(source).path), source)
        }
    }

    func testMissingSamplesAreNamed() throws {
        let output = try SharedData.temporaryDirectory("demo-pipeline")
        defer { try? FileManager.default.removeItem(at: output) }
        let pipeline = DemoPipeline(samplesDirectory: output.appendingPathComponent("nothing"), outputDirectory: output,
                                    classifier: CellMeanClassifier(), modelName: "cells")
        XCTAssertThrowsError(try pipeline.run()) { error in
            XCTAssertTrue(String(describing: error).contains("nothing/nih/Data_Entry_2017_v2020.csv"), "\(error)")
        }
    }
}

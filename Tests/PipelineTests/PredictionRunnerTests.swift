import Evaluation
import Reporting
import XCTest
import Imaging
import TestSupport
@testable import Pipeline

final class PredictionRunnerTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try SharedData.temporaryDirectory("prediction-runner")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func write(_ image: GrayscaleImage, _ name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try image.writePNG(to: url)
        return url.path
    }

    func testEveryReadableFileIsPredictedAndEveryBadOneNamed() throws {
        // 64×64 of 256×256 at 255: mean 255/16, so even classes 0.0625, odd classes 0.9375.
        let small = try write(CellMeanClassifier.image(size: 256, rectangle: (64, 96, 128, 160)), "small.png")
        let bright = try write(GrayscaleImage(width: 64, height: 64, filledWith: 204), "bright.png")
        let corrupt = directory.appendingPathComponent("corrupt.png").path
        try Data("not an image at all".utf8).write(to: URL(fileURLWithPath: corrupt))
        let missing = directory.appendingPathComponent("missing.png").path
        let classifier = CellMeanClassifier(batchSize: 2)
        let runner = PredictionRunner(classifier: classifier, modelName: "cells")
        var progress: [Int] = []
        let report = try runner.run(paths: [small, corrupt, missing, bright], progress: { done, _ in progress.append(done) })

        XCTAssertEqual(report.predictions.map(\.path), [small, bright])
        XCTAssertEqual(report.failures.map(\.path), [corrupt, missing])
        XCTAssertTrue(report.failures.allSatisfy { !$0.reason.isEmpty })
        XCTAssertEqual(classifier.batchSizes, [1, 1], "batches of two paths each hold one decodable image")
        XCTAssertEqual(progress, [2, 4])
        let first = report.predictions[0]
        XCTAssertEqual(first.width, 256)
        XCTAssertEqual(first.classes.count, 14)
        XCTAssertEqual(first.classes[0].probability, 0.0625, accuracy: 1e-6)
        XCTAssertEqual(first.classes[1].probability, 0.9375, accuracy: 1e-6)
        XCTAssertEqual(first.presentClasses, stride(from: 1, to: 14, by: 2).map { CellMeanClassifier.fourteen[$0] })
        XCTAssertEqual(report.predictions[1].classes[0].probability, 0.8, accuracy: 1e-6)
        XCTAssertEqual(report.predictions[1].presentClasses, stride(from: 0, to: 14, by: 2).map { CellMeanClassifier.fourteen[$0] })
        XCTAssertTrue(first.heatmaps.isEmpty, "no heatmaps unless a directory is given")
    }

    func testHeatmapFiguresForPresentClassesWithBoxesOnTheHotRegion() throws {
        let path = try write(CellMeanClassifier.image(size: 256, rectangle: (64, 96, 128, 160)), "00000001_000.png")
        let output = directory.appendingPathComponent("figures/nested").path
        var runner = PredictionRunner(classifier: CellMeanClassifier(), modelName: "cells", heatmapDirectory: output)
        runner.boxExtraction = BoxExtraction()
        let report = try runner.run(paths: [path])
        let prediction = try XCTUnwrap(report.predictions.first)
        XCTAssertEqual(prediction.heatmaps.map(\.className), prediction.presentClasses)
        XCTAssertEqual(prediction.heatmaps.first?.file, output + "/00000001_000-Cardiomegaly.png")
        let truth = BoundingBox(x: 64, y: 96, width: 64, height: 64)
        for heatmap in prediction.heatmaps {
            let figure = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: heatmap.file))
            XCTAssertEqual([figure.width, figure.height], [256, 256])
            // Boxes are in the image's pixels and surround the bright square.
            XCTAssertFalse(heatmap.boxes.isEmpty)
            XCTAssertTrue(heatmap.boxes.allSatisfy { truth.intersectionArea(with: $0) > 0 })
            XCTAssertTrue(heatmap.boxes.contains { truth.intersectionOverDetectedBox($0) > 0.9 }, "\(heatmap.boxes)")
            XCTAssertTrue(heatmap.boxes.allSatisfy { $0.x >= 0 && $0.x + $0.width <= 256 })
        }
    }

    func testSameFileNameInTwoFoldersGetsTwoFigures() throws {
        let image = CellMeanClassifier.image(size: 64, rectangle: (0, 0, 8, 8))
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("a"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("b"), withIntermediateDirectories: true)
        let paths = [try write(image, "a/x.png"), try write(image, "b/x.png")]
        let output = directory.appendingPathComponent("out").path
        let report = try PredictionRunner(classifier: CellMeanClassifier(classNames: ["Edema", "Mass"]),
                                          modelName: "cells", heatmapDirectory: output).run(paths: paths)
        XCTAssertEqual(report.predictions.flatMap(\.heatmaps).map { URL(fileURLWithPath: $0.file).lastPathComponent },
                       ["x-Mass.png", "x-2-Mass.png"])
    }

    func testTextLayout() {
        let report = PredictionReport(model: "m", predictions: [ImagePrediction(
            path: "a.png", width: 512, height: 512,
            prediction: Prediction(classes: [ClassPrediction(className: "Atelectasis", probability: 0.71234, threshold: 0.5),
                                             ClassPrediction(className: "Pleural_Thickening", probability: 0.1, threshold: 0.25)]),
            heatmaps: [HeatmapOutput(className: "Atelectasis", file: "out/a-Atelectasis.png",
                                     boxes: [BoundingBox(x: 1, y: 2, width: 3, height: 4)])])], failures: [])
        XCTAssertEqual(report.text, """
            a.png (512×512)
            Class               Probability  Threshold  Present
            Atelectasis         0.7123       0.5000     yes
            Pleural_Thickening  0.1000       0.2500
            heatmap Atelectasis: out/a-Atelectasis.png (1 box)

            """)
    }
}

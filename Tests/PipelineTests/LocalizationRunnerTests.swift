import Evaluation
import Reporting
import Store
import XCTest
import Imaging
import TestSupport
@testable import Pipeline

final class LocalizationRunnerTests: XCTestCase {
    func testBoxedClassesAreLocalizedInTheBoxFrameScoredAndDrawn() throws {
        let directory = try SharedData.temporaryDirectory("localization-runner")
        defer { try? FileManager.default.removeItem(at: directory) }
        // A 256×256 image with a bright square at x 64..<128, y 96..<160: in the 1024 frame
        // the square is (256, 384, 256, 256).
        let url = directory.appendingPathComponent("00000001_000.png")
        try CellMeanClassifier.image(size: 256, rectangle: (64, 96, 128, 160)).writePNG(to: url)
        let onSquare = BoundingBox(x: 256, y: 384, width: 256, height: 256)
        let elsewhere = BoundingBox(x: 700, y: 700, width: 200, height: 200)
        let images = [
            BoxedImage(name: "00000001_000.png", path: url.path, boxes: [
                TruthBox(className: "Nodule", box: onSquare),
                TruthBox(className: "Effusion", box: elsewhere),
                TruthBox(className: "Lesion", box: elsewhere),
            ]),
            BoxedImage(name: "00000002_000.png", path: directory.appendingPathComponent("absent.png").path,
                       boxes: [TruthBox(className: "Mass", box: onSquare)]),
        ]
        let figures = directory.appendingPathComponent("figures").path
        let runner = LocalizationRunner(classifier: CellMeanClassifier(), modelName: "cells", figureDirectory: figures)
        let report = try runner.run(images: images)

        XCTAssertEqual(report.requested, 2)
        XCTAssertEqual(report.missing, 1)
        XCTAssertEqual(report.unscoredBoxes, ["Lesion": 1])
        XCTAssertEqual(report.cases.map(\.className), ["Effusion", "Nodule"], "model order")
        XCTAssertEqual(report.table.classNames, LocalizationRunner.paperClasses)
        XCTAssertEqual(report.table.rows.map(\.threshold), LocalizationThreshold.paper)
        let nodule = try XCTUnwrap(report.cases.first { $0.className == "Nodule" })
        XCTAssertFalse(nodule.detections.isEmpty)
        XCTAssertTrue(nodule.detections.allSatisfy { $0.x + $0.width <= 1024 && $0.y + $0.height <= 1024 })
        func row(_ criterion: OverlapCriterion, _ value: Double) -> [String: ClassLocalization] {
            let row = report.table.rows.first { $0.threshold == LocalizationThreshold(criterion, value) }!
            return Dictionary(uniqueKeysWithValues: row.classes.map { ($0.className, $0) })
        }
        XCTAssertEqual(row(.iobb, 0.5)["Nodule"]?.accuracy, 1)
        XCTAssertEqual(row(.iou, 0.1)["Nodule"]?.accuracy, 1)
        for threshold in LocalizationThreshold.paper {
            let effusion = row(threshold.criterion, threshold.value)["Effusion"]!
            XCTAssertEqual(effusion.accuracy, 0)
            XCTAssertEqual(effusion.averageFalsePositives, Double(report.cases[0].detections.count))
        }
        XCTAssertNil(row(.iou, 0.1)["Mass"]?.accuracy, "the Mass image is missing: nothing scored")
        XCTAssertEqual(report.figures.map { URL(fileURLWithPath: $0).lastPathComponent },
                       ["00000001_000-Effusion.png", "00000001_000-Nodule.png"])
        for figure in report.figures {
            let decoded = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: figure))
            XCTAssertEqual([decoded.width, decoded.height], [256, 256])
        }
        XCTAssertTrue(report.text.contains("2 boxed images requested, 1 scored, 1 missing on disk\n"), report.text)
        XCTAssertTrue(report.text.hasSuffix("1 box of Lesion not scored: the model has no such class\n"), report.text)
    }
}

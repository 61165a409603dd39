import Evaluation
import Reporting
import XCTest
import Imaging
import TestSupport
@testable import Pipeline
@testable import Store

extension LabelledImage {
    /// An image labelled from the database's view: 1 for `positives`, 0 for the other classes.
    static func make(_ name: String, path: String?, positives: Set<String>) -> LabelledImage {
        LabelledImage(id: 0, name: name, path: path, labels: Findings.classes.map { positives.contains($0) ? 1 : 0 })
    }
}

final class EvaluationRunnerTests: XCTestCase {
    func testMissingFilesAreCountedBrokenOnesNamedAndAUCComputedOnTheRest() throws {
        let directory = try SharedData.temporaryDirectory("evaluation-runner")
        defer { try? FileManager.default.removeItem(at: directory) }
        func image(_ name: String, gray: UInt8, positives: Set<String>) throws -> LabelledImage {
            let url = directory.appendingPathComponent(name)
            try GrayscaleImage(width: 16, height: 16, filledWith: gray).writePNG(to: url)
            return LabelledImage.make(name, path: url.path, positives: positives)
        }
        let corrupt = directory.appendingPathComponent("corrupt.png")
        try Data([0x89, 0x50, 0x4E, 0x47]).write(to: corrupt)
        // Atelectasis (even: probability = brightness) is positive on the two brightest images:
        // AUC 1. Cardiomegaly (odd: 1 − brightness) has the same labels: AUC 0. Effusion has
        // positives on the first and third brightest: 3 of 4 pairs ordered, AUC 0.75.
        // Hernia has no positive: undefined.
        let images = [
            try image("a.png", gray: 250, positives: ["Atelectasis", "Cardiomegaly", "Effusion"]),
            try image("b.png", gray: 200, positives: ["Atelectasis", "Cardiomegaly"]),
            try image("c.png", gray: 100, positives: ["Effusion"]),
            try image("d.png", gray: 50, positives: []),
            LabelledImage.make("e.png", path: directory.appendingPathComponent("e.png").path, positives: ["Atelectasis"]),
            LabelledImage.make("f.png", path: nil, positives: []),
            LabelledImage.make("corrupt.png", path: corrupt.path, positives: []),
            // No label of the source at all: skipped as unlabelled, even though it is on disk.
            LabelledImage(id: 0, name: "g.png", path: corrupt.path, labels: Array(repeating: -1, count: 14)),
        ]
        let runner = EvaluationRunner(classifier: CellMeanClassifier(), modelName: "cells",
                                      bootstrap: BootstrapOptions(resamples: 50, seed: 3))
        let report = try runner.run(images: images)
        XCTAssertEqual(report.requested, 8)
        XCTAssertEqual(report.unlabelled, 1)
        XCTAssertEqual(report.missing, 2)
        XCTAssertEqual(report.failures.map(\.path), [corrupt.path])
        XCTAssertEqual(report.table.imageCount, 4)
        let rows = Dictionary(uniqueKeysWithValues: report.table.rows.map { ($0.className, $0) })
        XCTAssertEqual(rows["Atelectasis"]?.auc, 1)
        XCTAssertEqual(rows["Cardiomegaly"]?.auc, 0)
        XCTAssertEqual(try XCTUnwrap(rows["Effusion"]?.auc), 0.75, accuracy: 1e-12)
        XCTAssertEqual(rows["Effusion"]?.positives, 2)
        XCTAssertNil(rows["Hernia"]?.auc)
        XCTAssertTrue(report.text.hasSuffix("8 images requested, 4 evaluated, 2 missing on disk, 1 without labels, 1 unreadable\n"), report.text)
        let json = try JSONEncoder().encode(report.json)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: json) as? [String: Any])
        XCTAssertEqual(object["missing"] as? Int, 2)
        let curves = try XCTUnwrap(object["curves"] as? [String: Any])
        XCTAssertTrue(curves["Hernia"] is NSNull)
        XCTAssertNotNil(curves["Atelectasis"] as? [String: Any])
    }

    func testNothingOnDiskIsAnErrorSayingSo() throws {
        let runner = EvaluationRunner(classifier: CellMeanClassifier(), modelName: "cells")
        XCTAssertThrowsError(try runner.run(images: [LabelledImage.make("x", path: "/nonexistent/x.png", positives: [])])) {
            XCTAssertEqual(String(describing: $0), "no image to evaluate: 1 requested, 0 without labels, 1 missing on disk, 0 unreadable")
        }
    }
}

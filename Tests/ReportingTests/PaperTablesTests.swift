import Evaluation
import XCTest
@testable import Reporting

final class PaperTablesTests: XCTestCase {
    /// Atelectasis: positives 0.9 and 0.5, negatives 0.5 and 0.1 → AUC (1 + 1 + 0.5 + 1) / 4 = 0.875.
    /// Hernia: no positive image → undefined.
    func makeEvaluation() throws -> ClassificationEvaluation {
        try ClassificationEvaluation(
            classNames: ["Atelectasis", "Hernia"],
            scores: [[0.9, 0.2], [0.5, 0.4], [0.5, 0.6], [0.1, 0.8]] as [[Float]],
            labels: [[true, false], [true, false], [false, false], [false, false]],
            bootstrap: BootstrapOptions(resamples: 50, seed: 3))
    }

    func testEvaluationCountsAndUndefinedClass() throws {
        let evaluation = try makeEvaluation()
        XCTAssertEqual(evaluation.classes[0].auc, .defined(0.875))
        XCTAssertEqual(evaluation.classes[0].positives, 2)
        XCTAssertEqual(evaluation.classes[0].negatives, 2)
        XCTAssertNotNil(evaluation.classes[0].interval)
        XCTAssertEqual(evaluation.classes[1].auc, .undefined(.noPositives))
        XCTAssertNil(evaluation.classes[1].curve)
        XCTAssertNil(evaluation.classes[1].interval)
        XCTAssertEqual(evaluation.meanAUC, 0.875)
        XCTAssertEqual(evaluation.meanClassCount, 1)
    }

    func testEvaluationRefusesRaggedRowsNamingTheRow() {
        XCTAssertThrowsError(try ClassificationEvaluation(classNames: ["A", "B"], scores: [[0.1, 0.2], [0.3]] as [[Double]],
                                                          labels: [[true, false], [false, true]])) { error in
            XCTAssertEqual(error as? EvaluationError, .raggedRow(what: "scores", row: 1, expected: 2, found: 1))
        }
        XCTAssertThrowsError(try ClassificationEvaluation(classNames: ["A"], scores: [[0.1], [.nan]] as [[Double]],
                                                          labels: [[true], [false]])) { error in
            guard case let .nonFiniteScore(what, index, value) = error as? EvaluationError else { return XCTFail("unexpected \(error)") }
            XCTAssertEqual(what, "scores of A")
            XCTAssertEqual(index, 1)
            XCTAssertTrue(value.isNaN)
        }
    }

    func testClassificationTableInThePapersLayout() throws {
        let table = ClassificationTable(model: "ResNet-50", evaluation: try makeEvaluation())
        XCTAssertEqual(table.paperLayoutText, """
        Model      Atelectasis  Hernia     Mean
        ResNet-50  0.8750       undefined  0.8750

        """)
        let detail = table.detailText
        XCTAssertTrue(detail.hasPrefix("ROC AUC on 4 images; intervals: percentile bootstrap over images, 50 resamples, seed 3\n"), detail)
        XCTAssertTrue(detail.contains("Hernia       undefined (no positive images)  undefined"), detail)
    }

    func testSeveralModelsShareOneTable() throws {
        let first = ClassificationTable(model: "ImageNet start", evaluation: try makeEvaluation())
        var second = first
        second.model = "From scratch"
        second.rows[0].auc = 0.6
        second.meanAUC = 0.6
        XCTAssertEqual(ClassificationTable.paperLayoutText([first, second]), """
        Model           Atelectasis  Hernia     Mean
        ImageNet start  0.8750       undefined  0.8750
        From scratch    0.6000       undefined  0.6000

        """)
    }

    func testClassificationTableJSONSaysUndefinedExplicitly() throws {
        let table = ClassificationTable(model: "ResNet-50", evaluation: try makeEvaluation())
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(table)) as? [String: Any])
        let rows = try XCTUnwrap(object["rows"] as? [[String: Any]])
        XCTAssertEqual(rows[0]["auc"] as? Double, 0.875)
        XCTAssertTrue(rows[1]["auc"] is NSNull, "\(rows[1])")
        XCTAssertEqual(rows[1]["aucUndefinedReason"] as? String, "no positive images")
        XCTAssertEqual(try JSONDecoder().decode(ClassificationTable.self, from: JSONEncoder().encode(table)), table)
    }

    func testLocalizationTableInThePapersLayout() throws {
        let truth = BoundingBox(x: 100, y: 100, width: 200, height: 200)
        let cases = [
            LocalizationCase(imageName: "a.png", className: "Atelectasis", truthBoxes: [truth],
                             detections: [BoundingBox(x: 150, y: 150, width: 100, height: 100), BoundingBox(x: 600, y: 600, width: 5, height: 5)]),
            LocalizationCase(imageName: "b.png", className: "Cardiomegaly", truthBoxes: [truth], detections: [truth]),
        ]
        let table = try LocalizationScoring.table(
            cases: cases, classNames: ["Atelectasis", "Cardiomegaly", "Nodule"],
            thresholds: [LocalizationThreshold(.iou, 0.5), LocalizationThreshold(.iobb, 0.25)], model: "ResNet-50")
        XCTAssertEqual(table.text, """
        Localization of ResNet-50; truth boxes: Atelectasis 1, Cardiomegaly 1, Nodule 0
        Threshold             Atelectasis  Cardiomegaly  Nodule
        T(IoU) = 0.5    Acc.  0.0000       1.0000        undefined
                        AFP   2.0000       0.0000        undefined
        T(IoBB) = 0.25  Acc.  1.0000       1.0000        undefined
                        AFP   1.0000       0.0000        undefined

        """)
    }
}

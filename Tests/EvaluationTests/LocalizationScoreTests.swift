import XCTest
@testable import Evaluation

final class LocalizationScoreTests: XCTestCase {
    // Truth (100, 100, 200, 200), area 40,000.
    // inside: IoU 10,000 / 40,000 = 0.25, IoBB 1.
    // corner: overlap 50 × 50 = 2,500; IoU 2,500 / 47,500 ≈ 0.0526; IoBB 2,500 / 10,000 = 0.25.
    // far: no overlap.
    let truth = BoundingBox(x: 100, y: 100, width: 200, height: 200)
    let inside = BoundingBox(x: 150, y: 150, width: 100, height: 100)
    let corner = BoundingBox(x: 250, y: 250, width: 100, height: 100)
    let far = BoundingBox(x: 600, y: 600, width: 50, height: 50)

    var cases: [LocalizationCase] {
        [
            LocalizationCase(imageName: "a.png", className: "Atelectasis", truthBoxes: [truth], detections: [inside, corner, far]),
            LocalizationCase(imageName: "b.png", className: "Atelectasis", truthBoxes: [BoundingBox(x: 0, y: 0, width: 50, height: 50)],
                             detections: [BoundingBox(x: 500, y: 500, width: 10, height: 10)]),
            LocalizationCase(imageName: "a.png", className: "Cardiomegaly", truthBoxes: [BoundingBox(x: 300, y: 400, width: 400, height: 300)],
                             detections: [BoundingBox(x: 300, y: 400, width: 400, height: 300)]),
        ]
    }
    let classNames = ["Atelectasis", "Cardiomegaly", "Nodule"]

    func testThresholdsAreStrict() {
        XCTAssertTrue(LocalizationThreshold(.iobb, 0.1).matches(truth: truth, detected: corner))
        XCTAssertFalse(LocalizationThreshold(.iobb, 0.25).matches(truth: truth, detected: corner))
        XCTAssertTrue(LocalizationThreshold(.iou, 0.2).matches(truth: truth, detected: inside))
        XCTAssertFalse(LocalizationThreshold(.iou, 0.25).matches(truth: truth, detected: inside))
    }

    func testPaperThresholds() {
        XCTAssertEqual(LocalizationThreshold.paper.filter { $0.criterion == .iou }.map(\.value), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
        XCTAssertEqual(LocalizationThreshold.paper.filter { $0.criterion == .iobb }.map(\.value), [0.1, 0.25, 0.5, 0.75, 0.9])
    }

    func testAccuracyAndAverageFalsePositivesOnHandBuiltCases() throws {
        // (threshold, Atelectasis accuracy, Atelectasis AFP), worked out in the comments above:
        // image a localizes when `inside` (or `corner`) passes; image b never does.
        let expected: [(LocalizationThreshold, Double, Double)] = [
            (LocalizationThreshold(.iou, 0.1), 0.5, (2 + 1) / 2),   // inside hits; corner, far, b's box miss
            (LocalizationThreshold(.iou, 0.3), 0.0, (3 + 1) / 2),   // nothing hits
            (LocalizationThreshold(.iobb, 0.1), 0.5, (1 + 1) / 2),  // inside and corner hit; far, b's box miss
            (LocalizationThreshold(.iobb, 0.25), 0.5, (2 + 1) / 2), // corner's 0.25 is not above 0.25
            (LocalizationThreshold(.iobb, 0.9), 0.5, (2 + 1) / 2),  // inside's IoBB is 1
        ]
        for (threshold, accuracy, falsePositives) in expected {
            let results = try LocalizationScoring.score(cases: cases, classNames: classNames, threshold: threshold)
            XCTAssertEqual(results.map(\.className), classNames)
            XCTAssertEqual(results[0].heatmaps, 2)
            XCTAssertEqual(results[0].truthBoxes, 2)
            XCTAssertEqual(results[0].accuracy, accuracy, "\(threshold)")
            XCTAssertEqual(results[0].averageFalsePositives, falsePositives, "\(threshold)")
            // The identical Cardiomegaly box localizes at every threshold without false positives.
            XCTAssertEqual(results[1].accuracy, 1, "\(threshold)")
            XCTAssertEqual(results[1].averageFalsePositives, 0, "\(threshold)")
            // Nodule has no case: undefined, not zero.
            XCTAssertNil(results[2].accuracy)
            XCTAssertNil(results[2].averageFalsePositives)
        }
    }

    func testDetectionOverlapsGiveTheBestTruthForEachDetection() {
        let second = BoundingBox(x: 240, y: 240, width: 120, height: 120)  // holds all of `corner`
        let scored = LocalizationCase(imageName: "a.png", className: "Atelectasis", truthBoxes: [truth, second],
                                      detections: [corner, far])
        let overlaps = scored.detectionOverlaps
        XCTAssertEqual(overlaps.map(\.detection), [corner, far])
        // corner against truth: IoU 2,500 / 47,500, IoBB 0.25; against second: overlap 100 × 100,
        // IoU 10,000 / 14,400, IoBB 1.
        XCTAssertEqual(overlaps[0].intersectionOverUnion, 10_000.0 / 14_400.0, accuracy: 1e-12)
        XCTAssertEqual(overlaps[0].intersectionOverDetectedBox, 1)
        XCTAssertEqual(overlaps[1].intersectionOverUnion, 0)
        XCTAssertEqual(overlaps[1].intersectionOverDetectedBox, 0)
    }

    func testEverySecondaryDetectionMayLocalize() throws {
        // The matching box is the last of three: it still localizes the truth.
        let scored = LocalizationCase(imageName: "c.png", className: "Nodule", truthBoxes: [truth], detections: [far, far, inside])
        let result = try LocalizationScoring.score(cases: [scored], classNames: ["Nodule"], threshold: LocalizationThreshold(.iobb, 0.5))
        XCTAssertEqual(result[0].localizedBoxes, 1)
        XCTAssertEqual(result[0].falsePositives, 2)
    }

    func testCaseWithoutTruthCountsEveryDetectionFalse() throws {
        let scored = LocalizationCase(imageName: "d.png", className: "Mass", truthBoxes: [], detections: [inside, far])
        let result = try LocalizationScoring.score(cases: [scored], classNames: ["Mass"], threshold: LocalizationThreshold(.iou, 0.1))
        XCTAssertNil(result[0].accuracy)
        XCTAssertEqual(result[0].averageFalsePositives, 2)
    }

    func testUnknownClassAndRepeatedPairsAreRefusedNamingTheImage() {
        let stray = LocalizationCase(imageName: "e.png", className: "Infiltrate", truthBoxes: [truth], detections: [])
        XCTAssertThrowsError(try LocalizationScoring.score(cases: [stray], classNames: classNames, threshold: LocalizationThreshold(.iou, 0.1))) { error in
            XCTAssertEqual(error as? EvaluationError, .unknownClass(image: "e.png", className: "Infiltrate"))
        }
        XCTAssertThrowsError(try LocalizationScoring.score(cases: cases + [cases[0]], classNames: classNames,
                                                           threshold: LocalizationThreshold(.iou, 0.1))) { error in
            XCTAssertTrue("\(error)".contains("a.png"), "\(error)")
        }
    }

    func testTableHasARowPerThresholdAndEncodesUndefinedAsNull() throws {
        let table = try LocalizationScoring.table(cases: cases, classNames: classNames, model: "ResNet-50")
        XCTAssertEqual(table.rows.count, 12)
        let json = String(decoding: try JSONEncoder().encode(table), as: UTF8.self)
        XCTAssertTrue(json.contains("\"accuracy\":null"), json)
        let decoded = try JSONDecoder().decode(LocalizationTable.self, from: Data(json.utf8))
        XCTAssertEqual(decoded, table)
    }
}

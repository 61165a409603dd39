import XCTest
@testable import Evaluation

final class AUCTests: XCTestCase {
    func testAUCMatchesScikitLearnOnEveryFixtureCase() throws {
        let fixture = try ReferenceFixture.load()
        XCTAssertGreaterThanOrEqual(fixture.auc.count, 10)
        for reference in fixture.auc {
            let auc = try AUC(scores: reference.scores, labels: reference.labels)
            switch reference.auc {
            case let .value(expected):
                let value = try XCTUnwrap(auc.value, "\(reference.name): expected a defined AUC")
                XCTAssertEqual(value, expected, accuracy: 1e-12, reference.name)
            case .undefined:
                XCTAssertNil(auc.value, reference.name)
                XCTAssertEqual(auc.description, "undefined", reference.name)
            }
        }
    }

    func testROCCurvePointsMatchScikitLearn() throws {
        let fixture = try ReferenceFixture.load()
        for reference in fixture.auc {
            let curve = try ROCCurve(scores: reference.scores, labels: reference.labels)
            guard let expectedFPR = reference.fpr, let expectedTPR = reference.tpr,
                  let expectedThresholds = reference.thresholds_after_infinity else {
                XCTAssertNil(curve, "\(reference.name): scikit-learn has no curve, Thorax must have none")
                continue
            }
            let points = try XCTUnwrap(curve, reference.name)
            XCTAssertEqual(points.falsePositiveRates.count, expectedFPR.count, reference.name)
            XCTAssertEqual(points.truePositiveRates.count, expectedTPR.count, reference.name)
            for (value, expected) in zip(points.falsePositiveRates, expectedFPR) {
                XCTAssertEqual(value, expected, accuracy: 1e-15, reference.name)
            }
            for (value, expected) in zip(points.truePositiveRates, expectedTPR) {
                XCTAssertEqual(value, expected, accuracy: 1e-15, reference.name)
            }
            XCTAssertEqual(points.thresholds.first, .infinity, reference.name)
            XCTAssertEqual(Array(points.thresholds.dropFirst()), expectedThresholds, reference.name)
        }
    }

    func testUndefinedClassesSayWhy() throws {
        XCTAssertEqual(try AUC(scores: [0.1, 0.9], labels: [false, false]), .undefined(.noPositives))
        XCTAssertEqual(try AUC(scores: [0.1, 0.9], labels: [true, true]), .undefined(.noNegatives))
        XCTAssertEqual(try AUC(scores: [], labels: []), .undefined(.noImages))
        XCTAssertNil(try ROCCurve(scores: [0.3], labels: [true]))
    }

    func testTiedPositiveAndNegativeCountHalf() throws {
        // One positive above both negatives, one tied with a negative: (1 + 1 + 0.5 + 0) / 4.
        let auc = try AUC(scores: [0.9, 0.5, 0.5, 0.1], labels: [true, true, false, false])
        XCTAssertEqual(auc.value ?? -1, 0.875, accuracy: 1e-15)
    }

    func testMeanSkipsUndefinedClasses() {
        XCTAssertEqual(AUC.mean([.defined(0.6), .undefined(.noPositives), .defined(0.8)]) ?? -1, 0.7, accuracy: 1e-15)
        XCTAssertNil(AUC.mean([.undefined(.noNegatives)]))
    }

    func testBadInputsAreRefusedWithTheirPosition() {
        XCTAssertThrowsError(try AUC(scores: [0.1, 0.2], labels: [true])) { error in
            XCTAssertEqual(error as? EvaluationError, .lengthMismatch(what: "labels", expected: 2, found: 1))
        }
        XCTAssertThrowsError(try AUC(scores: [0.1, .nan, 0.3], labels: [true, false, true])) { error in
            guard case let .nonFiniteScore(_, index, _) = error as? EvaluationError else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(index, 1)
        }
    }

    func testCurveWithoutDroppingKeepsEveryDistinctThreshold() throws {
        let scores = [10.0, 9, 8, 7, 6, 5, 4, 3, 2, 1]
        let labels = [true, true, true, false, false, true, true, false, false, false]
        let full = try XCTUnwrap(try ROCCurve(scores: scores, labels: labels, dropIntermediate: false))
        let dropped = try XCTUnwrap(try ROCCurve(scores: scores, labels: labels))
        XCTAssertEqual(full.thresholds.count, 11)
        XCTAssertLessThan(dropped.thresholds.count, full.thresholds.count)
        XCTAssertEqual(full.area, dropped.area, accuracy: 1e-15)
    }

    func testCurveSurvivesAJSONRoundTripWithItsInfiniteThreshold() throws {
        let curve = try XCTUnwrap(try ROCCurve(scores: [0.2, 0.8, 0.5], labels: [false, true, true]))
        let decoded = try JSONDecoder().decode(ROCCurve.self, from: JSONEncoder().encode(curve))
        XCTAssertEqual(decoded, curve)
    }
}

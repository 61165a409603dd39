import XCTest
@testable import Evaluation

/// The F1-maximizing threshold rule against hand-computed cases, and the marked-findings figure.
final class ThresholdRuleTests: XCTestCase {
    func testMaximumF1AgainstAHandComputedCase() throws {
        // Three positives. F1 = 2·TP / (TP + FP + 3) when marking scores ≥ t:
        //   t = 0.9: 2/4 = 0.5;  0.8: 2/5 = 0.4;  0.7: 4/6 ≈ 0.667;  0.6: 4/7 ≈ 0.571;
        //   0.4: 6/8 = 0.75 (best);  0.2: 6/9 ≈ 0.667.
        // The threshold lies halfway from 0.4 to the next lower score, 0.2.
        let scores: [Float] = [0.9, 0.8, 0.7, 0.6, 0.4, 0.2], labels = [1, 0, 1, 0, 1, 0]
        let threshold = try XCTUnwrap(ThresholdRule.maximumF1.threshold(scores: scores, labels: labels))
        XCTAssertEqual(threshold, 0.3, accuracy: 1e-6)
        XCTAssertEqual(DecisionThreshold.maximumF1(scores: scores, labels: labels), threshold)
    }

    func testMaximumF1TiesTakeTheLowestThreshold() throws {
        // Two positives: t = 0.9: 2/3; 0.8: 2/4; 0.7: 2/5; 0.3: 4/6 = 2/3, tied with 0.9: the
        // lowest wins, halfway from 0.3 to 0.
        let threshold = try XCTUnwrap(DecisionThreshold.maximumF1(scores: [0.9, 0.8, 0.7, 0.3], labels: [1, 0, 0, 1]))
        XCTAssertEqual(threshold, 0.15, accuracy: 1e-6)
    }

    func testMaximumF1MovesTiedScoresTogetherAndIgnoresUnknownLabels() throws {
        // The two 0.6 scores (a positive, a negative) count as one step (taken apart, the
        // positive alone would give F1 = 1); −1 is left out.
        // Two positives: t = 0.7: 2/3; t = 0.6: 4/(2 + 1 + 2) = 0.8 (best); t = 0.1: 4/6.
        let threshold = try XCTUnwrap(DecisionThreshold.maximumF1(scores: [0.7, 0.6, 0.6, 0.1, 0.95],
                                                                  labels: [1, 1, 0, 0, -1]))
        XCTAssertEqual(threshold, 0.35, accuracy: 1e-6)
        XCTAssertNil(DecisionThreshold.maximumF1(scores: [0.2, 0.4], labels: [1, 1]))
        XCTAssertNil(DecisionThreshold.maximumF1(scores: [0.2, 0.4], labels: [0, -1]))
        XCTAssertEqual(ThresholdRule(rawValue: "max-f1"), .maximumF1)
    }

    func testMarkedFindingsCountsPerGroup() throws {
        let thresholds: [Float] = [0.5, 0.5, 0.5]
        let figure = try MarkedFindings(
            probabilities: [[0.6, 0.7, 0.1], [0.2, 0.1, 0.1], [0.9, 0.9, 0.9], [0.6, 0.1, 0.1], [0.9, 0.9, 0.9]],
            labels: [[0, 0, 0], [0, 0, 0], [1, 0, 0], [0, 1, -1], [0, -1, 0]],
            thresholds: thresholds)
        // No Finding films: rows 0 (2 marked) and 1 (0); with findings: rows 2 (3) and 3 (1);
        // row 4 has an unknown class and no positive: in neither group.
        XCTAssertEqual(figure.noFindingFilms, 2)
        XCTAssertEqual(try XCTUnwrap(figure.meanOnNoFinding), 1, accuracy: 1e-12)
        XCTAssertEqual(figure.filmsWithFindings, 2)
        XCTAssertEqual(try XCTUnwrap(figure.meanOnFilmsWithFindings), 2, accuracy: 1e-12)
        XCTAssertThrowsError(try MarkedFindings(probabilities: [[0.1, 0.2]], labels: [[0, 0, 0]], thresholds: thresholds))
        XCTAssertThrowsError(try MarkedFindings(probabilities: [[0.1]], labels: [], thresholds: [0.5]))
    }
}

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

    func testFixedSpecificityAgainstAHandComputedCase() throws {
        // Ten negatives scored 0.1 … 1.0, two positives 0.95 and 0.55. Specificity 0.9 admits
        // ⌊0.1 · 10⌋ = 1 negative at or above t. Walking down: 1.0 (negative, 1 admitted),
        // 0.95 (positive, still 1), 0.9 (negative, 2: too many). So t lies halfway from 0.95 to
        // 0.9: sensitivity 1/2 at specificity 9/10.
        let negatives: [Float] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
        let scores = negatives + [0.95, 0.55], labels = Array(repeating: 0, count: 10) + [1, 1]
        let threshold = try XCTUnwrap(ThresholdRule.specificity90.threshold(scores: scores, labels: labels))
        XCTAssertEqual(threshold, 0.925, accuracy: 1e-6)
        XCTAssertEqual(DecisionThreshold.atSpecificity(0.9, scores: scores, labels: labels), threshold)
        let marked = zip(scores, labels).filter { $0.0 >= threshold }
        XCTAssertEqual(marked.filter { $0.1 == 0 }.count, 1)
        XCTAssertEqual(marked.filter { $0.1 == 1 }.count, 1)
        // Specificity 0.8 admits 2 negatives: down to 0.9, then 0.8 is a third: halfway 0.9–0.8.
        XCTAssertEqual(try XCTUnwrap(DecisionThreshold.atSpecificity(0.8, scores: scores, labels: labels)), 0.85, accuracy: 1e-6)
        XCTAssertEqual(ThresholdRule(rawValue: "specificity-90"), .specificity90)
    }

    func testFixedSpecificityMarksNothingWhenTheTopScoreIsANegativeTooMany() throws {
        // Five negatives admit ⌊0.5⌋ = 0 false positives; the highest score is a negative tied
        // with a positive, so even it cannot be marked: t is just above it.
        let threshold = try XCTUnwrap(DecisionThreshold.atSpecificity(0.9, scores: [0.8, 0.8, 0.5, 0.4, 0.3, 0.2, 0.6],
                                                                      labels: [1, 0, 0, 0, 0, 0, -1]))
        XCTAssertEqual(threshold, Float(0.8).nextUp)
        XCTAssertNil(DecisionThreshold.atSpecificity(0.9, scores: [0.2, 0.4], labels: [1, 1]))
        XCTAssertNil(DecisionThreshold.atSpecificity(0.9, scores: [0.2, 0.4], labels: [0, -1]))
    }
}

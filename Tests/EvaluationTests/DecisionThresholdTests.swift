import XCTest
@testable import Evaluation

final class DecisionThresholdTests: XCTestCase {
    func testYoudenSeparatesTheGroupsAtTheMidpoint() throws {
        // After 0.8 every positive and no negative is above: J = 1, the threshold halfway to 0.3.
        let threshold = try XCTUnwrap(DecisionThreshold.youden(scores: [0.9, 0.2, 0.8, 0.3], labels: [1, 0, 1, 0]))
        XCTAssertEqual(threshold, 0.55, accuracy: 1e-6)
    }

    func testYoudenIgnoresUnknownLabelsAndCountsTiesTogether() throws {
        // −1 is left out; the tied 0.6 scores (a positive and a negative) count as one step.
        // Two positives, two negatives: J(0.7) = 0.5, J(0.6) = 1 − 0.5 = 0.5, J(0.1) = 0; the
        // first maximum, at 0.7, wins and the threshold lies halfway to 0.6.
        let threshold = try XCTUnwrap(DecisionThreshold.youden(scores: [0.7, 0.6, 0.6, 0.1, 0.95], labels: [1, 1, 0, 0, -1]))
        XCTAssertEqual(threshold, 0.65, accuracy: 1e-6)
    }

    func testYoudenNeedsPositivesAndNegatives() {
        XCTAssertNil(DecisionThreshold.youden(scores: [0.2, 0.4], labels: [1, 1]))
        XCTAssertNil(DecisionThreshold.youden(scores: [0.2, 0.4], labels: [0, -1]))
        XCTAssertNil(DecisionThreshold.youden(scores: [], labels: []))
    }
}

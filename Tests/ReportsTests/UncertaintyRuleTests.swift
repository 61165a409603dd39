import XCTest
@testable import Reports

/// Uncertainty triggers, including double negations that read as uncertainty.
final class UncertaintyRuleTests: XCTestCase {
    func testUncertaintyBefore() {
        XCTAssertEqual(value(.pneumonia, in: "Cannot exclude pneumonia."), .uncertain)
        XCTAssertEqual(value(.atelectasis, in: "Opacity may represent atelectasis."), .uncertain)
        XCTAssertEqual(value(.pneumonia, in: "Right basilar opacity concerning for pneumonia."), .uncertain)
        XCTAssertEqual(value(.nodule, in: "Possible right upper lobe nodule."), .uncertain)
        XCTAssertEqual(value(.pneumonia, in: "Findings suggesting pneumonia."), .uncertain)
    }

    func testUncertaintyAfterAndDoubleNegation() {
        XCTAssertEqual(value(.pneumonia, in: "Early pneumonia cannot be excluded."), .uncertain)
        XCTAssertEqual(value(.effusion, in: "A small effusion is not excluded."), .uncertain)
        XCTAssertEqual(value(.pneumothorax, in: "Small apical pneumothorax cannot be ruled out."), .uncertain)
    }

    func testVersusMakesBothSidesUncertain() {
        let s = "Left basilar atelectasis versus pneumonia."
        XCTAssertEqual(value(.atelectasis, in: s), .uncertain)
        XCTAssertEqual(value(.pneumonia, in: s), .uncertain)
    }

    func testHedgesAfterTheMention() {
        XCTAssertEqual(value(.edema, in: "Aspiration or edema are also possible."), .uncertain)
        XCTAssertEqual(value(.edema, in: "Mild pulmonary edema difficult to entirely exclude."), .uncertain)
        XCTAssertEqual(value(.pneumonia, in: "Right lower lobe pneumonia?"), .uncertain)
    }

    func testRecommendationsAreUncertain() {
        XCTAssertEqual(value(.pneumonia, in: "Please correlate clinically for pneumonia."), .uncertain)
        XCTAssertEqual(value(.fibrosis, in: "Probable interstitial edema, less likely fibrosis."), .uncertain)
    }

    func testBorderlineGradesAndIsNoDoubt() {
        XCTAssertEqual(value(.cardiomegaly, in: "Borderline cardiomegaly."), .positive)
        XCTAssertEqual(value(.cardiomegaly, in: "The heart is borderline in size."), .positive)
    }
}

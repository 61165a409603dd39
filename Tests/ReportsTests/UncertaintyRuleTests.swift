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
}

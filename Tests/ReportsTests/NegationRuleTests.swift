import XCTest
@testable import Reports

/// Negation triggers with scope, on sentences as radiologists write them.
final class NegationRuleTests: XCTestCase {
    func testSimpleNegationBefore() {
        XCTAssertEqual(value(.pneumothorax, in: "There is no pneumothorax."), .negative)
        XCTAssertEqual(value(.effusion, in: "No pleural effusion."), .negative)
        XCTAssertEqual(value(.infiltration, in: "Lungs are clear without infiltrate."), .negative)
        XCTAssertEqual(value(.effusion, in: "Negative for pleural effusion."), .negative)
    }

    func testNegationScopeCoversLists() {
        let s = "No pneumothorax, pleural effusion, or focal consolidation."
        XCTAssertEqual(value(.pneumothorax, in: s), .negative)
        XCTAssertEqual(value(.effusion, in: s), .negative)
        XCTAssertEqual(value(.consolidation, in: s), .negative)
        let clear = "The lungs are clear of focal airspace disease, pneumothorax, or pleural effusion."
        XCTAssertEqual(value(.pneumothorax, in: clear), .negative)
        XCTAssertEqual(value(.effusion, in: clear), .negative)
        XCTAssertEqual(value(.pneumothorax, in: "Without evidence of pneumothorax."), .negative)
        XCTAssertEqual(value(.edema, in: "Free of pulmonary edema."), .negative)
    }

    func testTerminatorEndsScope() {
        XCTAssertEqual(value(.effusion, in: "No pneumothorax, but there is a small left pleural effusion."), .positive)
        XCTAssertEqual(value(.pneumothorax, in: "No pneumothorax, but there is a small left pleural effusion."), .negative)
        XCTAssertEqual(value(.atelectasis, in: "No focal consolidation; bibasilar atelectasis."), .positive)
    }

    func testNegationAfter() {
        XCTAssertEqual(value(.pneumothorax, in: "Pneumothorax is not seen."), .negative)
        XCTAssertEqual(value(.pneumonia, in: "The previously seen right lower lobe pneumonia has resolved."), .negative)
        XCTAssertEqual(value(.effusion, in: "The left effusion has cleared."), .negative)
    }

    func testNegationInsideMention() {
        XCTAssertEqual(value(.cardiomegaly, in: "The heart is not enlarged."), .negative)
        XCTAssertEqual(value(.cardiomegaly, in: "The heart is enlarged."), .positive)
    }

    func testPseudoNegationIsNotNegation() {
        XCTAssertEqual(value(.effusion, in: "No change in the small right pleural effusion."), .positive)
        XCTAssertEqual(value(.cardiomegaly, in: "No significant change in cardiomegaly."), .positive)
    }

    func testSeparateSentencesDoNotShareScope() {
        XCTAssertEqual(value(.cardiomegaly, in: "No pneumothorax. Cardiomegaly."), .positive)
    }
}

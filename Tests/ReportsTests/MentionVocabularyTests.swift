import XCTest
@testable import Reports

/// Mentions from the bundled vocabulary: synonyms, inflections and exclusions.
final class MentionVocabularyTests: XCTestCase {
    func testSynonymsAndInflections() {
        XCTAssertEqual(value(.atelectasis, in: "Mild bibasilar atelectatic changes."), .positive)
        XCTAssertEqual(value(.nodule, in: "Several small pulmonary nodules."), .positive)
        XCTAssertEqual(value(.cardiomegaly, in: "Stable enlarged cardiac silhouette."), .positive)
        XCTAssertEqual(value(.emphysema, in: "Hyperinflated lungs with emphysematous changes."), .positive)
        XCTAssertEqual(value(.pleuralThickening, in: "Biapical pleural thickening."), .positive)
    }

    func testExclusions() {
        XCTAssertNil(value(.emphysema, in: "Subcutaneous emphysema in the left chest wall."))
        XCTAssertNil(value(.effusion, in: "Small pericardial effusion."))
        XCTAssertNil(value(.mass, in: "Massive hiatal hernia."))
        XCTAssertEqual(value(.hernia, in: "Massive hiatal hernia."), .positive)
    }

    func testUnmentionedFindingIsBlankAndNoFinding() {
        let report = Report(id: "n", sections: [ReportSection(name: "IMPRESSION", text: "Normal chest x-XXXX.")],
                            source: ReportSource(path: "test"))
        let labels = bundledLabeler.label(report)
        XCTAssertTrue(labels.values.allSatisfy { $0 == nil })
        XCTAssertTrue(labels.noFinding)
    }
}

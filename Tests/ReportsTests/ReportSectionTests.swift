import XCTest
@testable import Reports

/// Headings found in plain text, and which sections the labeller reads.
final class ReportSectionTests: XCTestCase {
    func testSplitsAtHeadingsInAnyCaseAndPosition() {
        let sections = ReportSection.split("EXAM: Chest PA/lateral\nClinical history: cough.\nFINDINGS: No effusion. IMPRESSION: Normal.")
        XCTAssertEqual(sections, [
            ReportSection(name: "EXAM", text: "Chest PA/lateral"),
            ReportSection(name: "CLINICAL HISTORY", text: "cough."),
            ReportSection(name: "FINDINGS", text: "No effusion."),
            ReportSection(name: "IMPRESSION", text: "Normal."),
        ])
    }

    func testColonsThatAreNoHeadingsStay() {
        let text = "Ratio 2:1. Heart: normal size. Reexamination: none."
        XCTAssertEqual(ReportSection.split(text), [ReportSection(name: nil, text: text)])
    }

    func testLabelerReadsOnlyFindingsAndImpressionWhenPresent() throws {
        let report = Report(id: "r", text: "INDICATION: pneumonia?\nFINDINGS: Lungs are clear.\nIMPRESSION: No acute disease.")
        XCTAssertNil(bundledLabeler.label(report)[.pneumonia])
        let all = try ReportLabeler(sections: .all)
        XCTAssertEqual(all.label(report)[.pneumonia], .uncertain)
        XCTAssertEqual(bundledLabeler.label(Report(id: "r", text: "Pneumonia in the right lower lobe."))[.pneumonia], .positive)
    }
}

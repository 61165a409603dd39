import XCTest
import TestSupport
@testable import Reports

/// HL7 v2 ORU^R01 messages read as reports: sections from OBX-3, the study link, escapes,
/// batches, one error per malformed message naming the file and the message's position, and
/// labels equal to those of the same text as a plain report.
final class HL7ReportsTests: XCTestCase {
    let source = ReportSource(path: "ris.hl7")

    static func message(control: String = "MSG1", type: String = "ORU^R01", obr: String = "OBR|1|PL-1|F-77|71020^CHEST 2 VIEWS||||||||||||||ACC-42",
                        zds: String? = "ZDS|1.2.826.0.1.3680043.10.9.1^RIS^Application^DICOM",
                        observations: [String] = ["OBX|1|TX|&GDT^FINDINGS||Small left pleural effusion.||||||F",
                                                  "OBX|2|TX|&GDT^FINDINGS||No pneumothorax.||||||F",
                                                  "OBX|3|TX|&IMP^IMPRESSION||Effusion.||||||F"]) -> String {
        (["MSH|^~\\&|RIS|HOSPITAL|THORAX|HOSPITAL|20240102120000||\(type)|\(control)|P|2.5", "PID|1||PAT-1^^^HOSPITAL||DOE^JANE",
          obr] + (zds.map { [$0] } ?? []) + observations).joined(separator: "\r")
    }

    func parse(_ text: String) -> (reports: [Report], errors: [String]) {
        var reports: [Report] = [], errors: [String] = []
        for result in HL7Reports.parse(text, source: source) {
            switch result {
            case .success(let report): reports.append(report)
            case .failure(let error): errors.append(error.description)
            }
        }
        return (reports, errors)
    }

    func testSectionsAndStudyLink() {
        let (reports, errors) = parse(Self.message())
        XCTAssertEqual(errors, [])
        XCTAssertEqual(reports, [Report(id: "ACC-42", sections: [
            ReportSection(name: "FINDINGS", text: "Small left pleural effusion.\nNo pneumothorax."),
            ReportSection(name: "IMPRESSION", text: "Effusion."),
        ], source: source, study: StudyReference(studyInstanceUID: "1.2.826.0.1.3680043.10.9.1", accessionNumber: "ACC-42"))])
    }

    func testIdentifiersFallBackInOrder() {
        let filler = parse(Self.message(obr: "OBR|1|PL-1|F-77|71020^CHEST 2 VIEWS", zds: nil)).reports
        XCTAssertEqual(filler.map(\.id), ["F-77"], "OBR-3 when OBR-18 is empty")
        XCTAssertEqual(filler.first?.study, StudyReference(studyInstanceUID: nil, accessionNumber: "F-77"))
        let uidOnly = parse(Self.message(obr: "OBR|1", zds: "ZDS|1.2.3.4^RIS^Application^DICOM")).reports
        XCTAssertEqual(uidOnly.map(\.id), ["1.2.3.4"])
        let neither = parse(Self.message(control: "CTRL-9", obr: "OBR|1", zds: nil)).reports
        XCTAssertEqual(neither.map(\.id), ["CTRL-9"])
        XCTAssertNil(neither.first?.study)
    }

    func testEscapesRepetitionsAndUnnamedText() {
        let observations = ["OBX|1|FT|59776-5^Findings^LN||Heart size normal \\T\\ lungs clear.~Mild \\F\\ atelectasis\\.br\\at the base.||||||F",
                            "OBX|2|ST|ADDENDUM||Compared with \\X41\\ prior.||||||F", "OBX|3|NM|8867-4^HR||72||||||F"]
        let report = parse(Self.message(observations: observations)).reports.first
        XCTAssertEqual(report?.sections, [
            ReportSection(name: "FINDINGS", text: "Heart size normal & lungs clear.\nMild | atelectasis\nat the base."),
            ReportSection(name: nil, text: "Compared with A prior."),
        ])
    }

    func testBatchesAndLineEndings() {
        let batch = "FHS|^~\\&\nBHS|^~\\&\n" + Self.message(control: "A").replacingOccurrences(of: "\r", with: "\r\n") + "\n"
            + Self.message(control: "B", obr: "OBR|1|PL-2|F-2|" + String(repeating: "|", count: 14) + "ACC-2") + "\nBTS|2\nFTS|1\n"
        let (reports, errors) = parse(batch)
        XCTAssertEqual(errors, [])
        XCTAssertEqual(reports.map(\.id), ["ACC-42", "ACC-2"])
    }

    func testEachMalformedMessageIsNamedAndTheOthersRead() {
        let text = [
            Self.message(control: "1"),
            Self.message(control: "2", type: "ADT^A01"),
            Self.message(control: "3", observations: ["OBX|1|NM|8867-4^HR||72||||||F"]),
            "MSH|^~",
            Self.message(control: "5").replacingOccurrences(of: "PID|", with: "pid|"),
            Self.message(control: "6", type: ""),
        ].joined(separator: "\r")
        let (reports, errors) = parse(text)
        XCTAssertEqual(reports.count, 1)
        XCTAssertEqual(errors, [
            "ris.hl7: message 2: it is ADT^A01, not ORU^R01",
            "ris.hl7: message 3: no report text (no OBX segment of value type TX, FT or ST with a value)",
            "ris.hl7: message 4: the MSH segment is too short to hold its delimiters",
            "ris.hl7: message 5: segment 2 does not start with a segment name and the field separator",
            "ris.hl7: message 6: it is a message without a type (MSH-9), not ORU^R01",
        ])
        let stray = parse("PID|1||x\r" + Self.message())
        XCTAssertEqual(stray.errors, ["ris.hl7: 1 segment before the first MSH segment, in no message"])
        XCTAssertEqual(stray.reports.count, 1, "the message after it is read")
        XCTAssertEqual(parse("no message here").errors, ["ris.hl7: no HL7 v2 message (no MSH segment)"])
        XCTAssertEqual(parse("").errors, ["ris.hl7: no HL7 v2 message (no MSH segment)"])
    }

    func testLabelsEqualThoseOfTheSameTextAsPlainText() {
        let report = parse(Self.message()).reports[0]
        let plain = Report(id: "ACC-42", text: "FINDINGS: Small left pleural effusion.\nNo pneumothorax.\nIMPRESSION: Effusion.")
        XCTAssertEqual(plain.sections, report.sections)
        XCTAssertEqual(bundledLabeler.label(report), bundledLabeler.label(plain))
        XCTAssertEqual(bundledLabeler.label(report)[.effusion], .positive)
        XCTAssertEqual(bundledLabeler.label(report)[.pneumothorax], .negative)
    }

    func testReaderReadsHL7FilesAndFolders() throws {
        let folder = try SharedData.temporaryDirectory("hl7-reader")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("ris.hl7")
        try Data((Self.message(control: "1") + "\r" + Self.message(control: "2", type: "ADT^A01")).utf8).write(to: file)
        var ids: [String] = [], errors: [String] = []
        for result in ReportReader(paths: [folder.path]) {
            switch result {
            case .success(let report): ids.append(report.id)
            case .failure(let error): errors.append(error.description)
            }
        }
        XCTAssertEqual(ids, ["ACC-42"])
        XCTAssertEqual(errors, ["\(file.path): message 2: it is ADT^A01, not ORU^R01"])
    }
}

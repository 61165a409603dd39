import XCTest
@testable import Reports

/// The CSV and JSON-lines contracts, exactly.
final class LabelOutputTests: XCTestCase {
    func testCSVHeader() {
        XCTAssertEqual(LabelOutput.csvHeader,
            "id,Atelectasis,Cardiomegaly,Effusion,Infiltration,Mass,Nodule,Pneumonia,Pneumothorax,Consolidation,Edema,Emphysema,Fibrosis,Pleural_Thickening,Hernia,No Finding")
    }

    func testCSVRowValuesAndNoFinding() {
        var values = [LabelValue?](repeating: nil, count: 14)
        values[Finding.cardiomegaly.index] = .positive
        values[Finding.effusion.index] = .negative
        values[Finding.pneumonia.index] = .uncertain
        XCTAssertEqual(LabelOutput.csvRow(ReportLabels(id: "CXR7", values: values, mentions: [])),
                       "CXR7,,1,0,,,,-1,,,,,,,,0")
        var negatives = [LabelValue?](repeating: nil, count: 14)
        negatives[Finding.pneumothorax.index] = .negative
        XCTAssertEqual(LabelOutput.csvRow(ReportLabels(id: "a,\"b\"", values: negatives, mentions: [])),
                       "\"a,\"\"b\"\"\",,,,,,,,0,,,,,,,1")
    }

    func testLabelledReportRowAndJSONLine() throws {
        let report = Report(id: "r1", sections: [ReportSection(name: "IMPRESSION", text: "Mild cardiomegaly. No pleural effusion.")],
                            source: ReportSource(path: "t"))
        let labels = bundledLabeler.label(report)
        XCTAssertEqual(LabelOutput.csvRow(labels), "r1,,1,0,,,,,,,,,,,,0")
        XCTAssertEqual(try LabelOutput.jsonLine(labels),
            #"{"No Finding":0,"id":"r1","labels":{"Cardiomegaly":1,"Effusion":0},"mentions":["#
            + #"{"class":"Cardiomegaly","rule":"positive: cardiomegaly","section":"IMPRESSION","sentence":"Mild cardiomegaly.","span":[5,17],"status":"positive","text":"cardiomegaly"},"#
            + #"{"class":"Effusion","rule":"negation-before: no","section":"IMPRESSION","sentence":"No pleural effusion.","span":[11,19],"status":"negative","text":"effusion"}]}"#)
    }

    func testAtomicWriterLeavesNothingWithoutCommit() throws {
        let folder = try FileManager.default.url(for: .itemReplacementDirectory, in: .userDomainMask,
                                                 appropriateFor: URL(fileURLWithPath: NSTemporaryDirectory()), create: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let destination = folder.appendingPathComponent("labels.csv")
        try Data("old\n".utf8).write(to: destination)
        do {
            let writer = try AtomicFileWriter(destination: destination)
            try writer.writeLine("new")
        }
        XCTAssertEqual(try String(contentsOf: destination, encoding: .utf8), "old\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["labels.csv"])
        let writer = try AtomicFileWriter(destination: destination)
        try writer.writeLine("new")
        try writer.commit()
        XCTAssertEqual(try String(contentsOf: destination, encoding: .utf8), "new\n")
    }
}

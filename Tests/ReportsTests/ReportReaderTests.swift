import XCTest
import TestSupport
@testable import Reports

/// The readers on real OpenI files and on hand-made files of each format, good and bad.
final class ReportReaderTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try SharedData.temporaryDirectory("reports-reader")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func write(_ name: String, _ contents: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: url)
        return url.path
    }

    private func read(_ paths: [String]) -> (reports: [Report], errors: [ReportReadError]) {
        var reports: [Report] = []
        var errors: [ReportReadError] = []
        for result in ReportReader(paths: paths) {
            switch result {
            case .success(let r): reports.append(r)
            case .failure(let e): errors.append(e)
            }
        }
        return (reports, errors)
    }

    func testReadsRealOpenIReport() throws {
        guard let url = SharedData.url("openi/reports/1.xml") else { throw XCTSkip("the shared data's openi (THORAX_SHARED_DATA) is absent") }
        let (reports, errors) = read([url.path])
        XCTAssertEqual(errors, [])
        let report = try XCTUnwrap(reports.first)
        XCTAssertEqual(report.id, "CXR1")
        XCTAssertEqual(report.sections.map(\.name), ["COMPARISON", "INDICATION", "FINDINGS", "IMPRESSION"])
        XCTAssertEqual(report.sections[3].text, "Normal chest x-XXXX.")
        XCTAssertTrue(report.sections[2].text.hasPrefix("The cardiac silhouette and mediastinum size are within normal limits."))
        // MeSH terms are never read: "normal" appears only in <MeSH> besides the impression.
        XCTAssertFalse(report.fullText.contains("<major>"))
    }

    func testReadsRealOpenIFolderAndNamesEmptyReports() throws {
        guard let url = SharedData.url("openi/reports") else { throw XCTSkip("the shared data's openi (THORAX_SHARED_DATA) is absent") }
        let (reports, errors) = read([url.path])
        XCTAssertEqual(reports.count + errors.count, 3184)
        XCTAssertEqual(Set(reports.map(\.id)).count, reports.count, "ids are unique")
        // The OpenI reports whose FINDINGS and IMPRESSION are both empty and have no other text.
        XCTAssertTrue(errors.allSatisfy { $0.message.hasPrefix("empty report") && $0.source.path.hasSuffix(".xml") })
    }

    func testReadsRealNIHPlainTextReportWithLowerCaseHeadings() throws {
        guard let url = SharedData.url("nih-report-examples/00000086.txt") ?? SharedData.url("openi/nih-report-examples/00000086.txt") else {
            throw XCTSkip("the shared data's openi/nih-report-examples (THORAX_SHARED_DATA) is absent")
        }
        let (reports, errors) = read([url.path])
        XCTAssertEqual(errors, [])
        let report = try XCTUnwrap(reports.first)
        XCTAssertEqual(report.id, "00000086")
        XCTAssertEqual(report.sections.map(\.name), ["FINDINGS", "IMPRESSION"])
        XCTAssertEqual(report.sections[1].text, "stable chest.\r\ndictating", "the file has CRLF line ends")
    }

    func testCSVWithHeaderQuotedFieldsAndCRLF() throws {
        let path = try write("a.csv", "id,report,site\r\nr1,\"FINDINGS: No effusion, no pneumothorax.\r\nIMPRESSION: \"\"Normal\"\".\",x\r\nr2,Cardiomegaly.,y\r\n")
        let (reports, errors) = read([path])
        XCTAssertEqual(errors, [])
        XCTAssertEqual(reports.map(\.id), ["r1", "r2"])
        XCTAssertEqual(reports[0].sections, [ReportSection(name: "FINDINGS", text: "No effusion, no pneumothorax."),
                                             ReportSection(name: "IMPRESSION", text: "\"Normal\".")])
        XCTAssertEqual(reports[1].source, ReportSource(path: path, line: 4))
    }

    func testHeaderlessOneColumnCSVNumbersRows() throws {
        let path = try write("b.csv", "\"No pneumothorax.\"\nSmall left effusion.\n")
        let (reports, errors) = read([path])
        XCTAssertEqual(errors, [])
        XCTAssertEqual(reports.map(\.id), ["1", "2"])
        XCTAssertEqual(reports[1].sections, [ReportSection(name: nil, text: "Small left effusion.")])
        let withHeader = try write("c.csv", "Reports\nNo pneumothorax.\n")
        XCTAssertEqual(read([withHeader]).reports.map(\.id), ["1"])
    }

    func testFolderMixesFormatsRecursivelyInNameOrder() throws {
        _ = try write("d/b.txt", "IMPRESSION: Cardiomegaly.")
        _ = try write("d/sub/a.csv", "id,report\nx,No effusion.\n")
        _ = try write("d/.hidden.txt", "ignored")
        _ = try write("d/image.png", "ignored")
        let (reports, errors) = read([folder.appendingPathComponent("d").path])
        XCTAssertEqual(errors, [])
        XCTAssertEqual(reports.map(\.id), ["b", "x"])
    }

    func testEachBadInputGetsOneErrorAndOthersAreStillRead() throws {
        let good = try write("good.txt", "FINDINGS: Small right effusion.")
        let malformed = try write("bad.xml", "<eCitation><uId id=\"CXR9\"/><AbstractText Label=\"FINDINGS\">No effusion.</eCitation>")
        let noId = try write("noid.xml", "<eCitation><AbstractText Label=\"FINDINGS\">No effusion.</AbstractText></eCitation>")
        let invalid = folder.appendingPathComponent("latin1.txt")
        try Data([0x4E, 0x6F, 0x20, 0xE9, 0x66, 0x66]).write(to: invalid)
        let empty = try write("empty.txt", "  \n\n ")
        let columns = try write("columns.csv", "name,text2\na,b\n")
        let rows = try write("rows.csv", "id,report\nr1,No effusion.\nr2\nr3,\"  \"\nr4,Edema.\n")
        let missing = folder.appendingPathComponent("missing.txt").path
        let (reports, errors) = read([good, malformed, noId, invalid.path, empty, columns, rows, missing])
        XCTAssertEqual(reports.map(\.id), ["good", "r1", "r4"])
        XCTAssertEqual(errors.map(\.description), [
            "\(malformed): malformed XML at line 1: " + errors[0].message.dropFirst("malformed XML at line 1: ".count),
            "\(noId): no <uId id=\"…\"> element: not an OpenI report",
            "\(invalid.path): not valid UTF-8 (first bad byte at offset 3)",
            "\(empty): empty report",
            "\(columns):1: CSV header needs an 'id' and a 'report' column (or the file must have a single column of report texts); found: name, text2",
            "\(rows):3: row has 1 fields, the header has 2",
            "\(rows):4: empty report (id r3)",
            "\(missing): no such file or directory",
        ])
        XCTAssertTrue(errors[0].message.hasPrefix("malformed XML"))
    }

    func testUnclosedQuoteStopsTheFileWithOneError() throws {
        let path = try write("open.csv", "id,report\nr1,Edema.\nr2,\"No effusion.\nr3,Cardiomegaly.\n")
        let (reports, errors) = read([path])
        XCTAssertEqual(reports.map(\.id), ["r1"])
        XCTAssertEqual(errors.map(\.description), ["\(path):3: a quoted field opened here is never closed"])
    }

    func testTenThousandRowsWithOneBrokenGiveAllOthers() throws {
        var data = Data("id,report\n".utf8)
        for row in 1...10_000 {
            if row == 5_000 {
                data.append(contentsOf: Array("r5000,No eff".utf8) + [0xFF] + Array("usion.\n".utf8))
            } else {
                data.append(contentsOf: "r\(row),\"FINDINGS: Small left effusion, row \(row).\"\n".utf8)
            }
        }
        let url = folder.appendingPathComponent("many.csv")
        try data.write(to: url)
        let (reports, errors) = read([url.path])
        XCTAssertEqual(reports.count, 9_999)
        XCTAssertEqual(errors.map(\.description), ["\(url.path):5001: field 2 is not valid UTF-8"])
        XCTAssertEqual(reports.last?.id, "r10000")
    }

    func testPrefetchedBatchesKeepOrderAndErrors() throws {
        var csv = "id,report\n"
        for row in 1...1_000 { csv += row == 500 ? "r500\n" : "r\(row),Small effusion.\n" }
        let path = try write("p.csv", csv)
        let missing = folder.appendingPathComponent("missing.txt").path
        let plain = ReportReader(paths: [path, missing]).map { "\($0)" }
        let batches = Array(ReportReader(paths: [path, missing]).prefetchedBatches(batchSize: 64, depth: 2))
        XCTAssertEqual(batches.map(\.count), Array(repeating: 64, count: 15) + [41])
        XCTAssertEqual(batches.flatMap { $0 }.map { "\($0)" }, plain)
        // Released after one batch, the reader thread stops instead of blocking forever.
        var early: ReportReader.PrefetchedBatches? = ReportReader(paths: [path]).prefetchedBatches(batchSize: 8, depth: 1)
        XCTAssertEqual(early?.next()?.count, 8)
        early = nil
    }

    /// A folder given as input with no report file in it (only other formats, or nothing) is
    /// a failure naming it, what was looked for and what is there; report files in subfolders
    /// count, in name order; `expand` lists the files left alone.
    func testAFolderWithoutReportsIsNamedAndOtherFilesAreCounted() throws {
        let pdf = try write("formats/a.pdf", "%PDF-1.4")
        _ = try write("formats/b.dcm", "DICM")
        let empty = folder.appendingPathComponent("empty").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let mixed = try write("mixed/z.txt", "No effusion.")
        _ = try write("mixed/sub/a.txt", "Cardiomegaly.")
        _ = try write("mixed/notes.doc", "x")
        let formatsFolder = folder.appendingPathComponent("formats").path, mixedFolder = folder.appendingPathComponent("mixed").path

        let (reports, errors) = read([formatsFolder, empty, mixedFolder])
        XCTAssertEqual(reports.map(\.id), ["a", "z"], "sub/ sorts before z.txt")
        XCTAssertEqual(errors.map(\.description), [
            "\(formatsFolder): no report files (.xml, .csv, .txt or .hl7) in this folder; it holds 2 other files (first: a.pdf)",
            "\(empty): no report files (.xml, .csv, .txt or .hl7) in this folder; it is empty",
        ])
        let expanded = ReportReader.expand([formatsFolder, mixedFolder, mixed])
        XCTAssertEqual(expanded.paths, [formatsFolder, mixedFolder + "/sub/a.txt", mixed, mixed])
        XCTAssertEqual(expanded.others, [mixedFolder + "/notes.doc"])
        XCTAssertEqual(pdf, formatsFolder + "/a.pdf")
    }
}

import Foundation
import XCTest
@testable import Reports

/// Inputs found by Fuzz/FuzzReports that crashed a reader, read the way the fuzz target reads
/// them (ReportReader on the file, then the labeller); each must now be one clear error.
final class ReportFuzzRegressionTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fuzz-regressions")

    func testEveryRegressionInputIsAClearError() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).sorted()
        XCTAssertFalse(names.isEmpty)
        for name in names {
            let path = Self.directory.appendingPathComponent(name).path
            let results = Array(ReportReader(paths: [path]))
            XCTAssertEqual(results.count, 1, name)
            guard case .failure(let error) = results.first else { XCTFail("\(name) was read"); continue }
            XCTAssertTrue("\(error)".contains(name), "\(error)")
        }
    }

    /// FoundationXML crashed (strlen of NULL) on `<?target?>`; the reader now refuses it first.
    func testProcessingInstructionWithoutDataIsRefused() throws {
        let path = Self.directory.appendingPathComponent("xml-processing-instruction-without-data.xml").path
        guard case .failure(let error)? = ReportReader(paths: [path]).makeIterator().next() else {
            return XCTFail("expected a failure")
        }
        XCTAssertTrue(error.message.contains("processing instruction without data at byte 0"), error.message)
        XCTAssertNil(ReportFormats.processingInstructionWithoutData(Data("<?xml version=\"1.0\"?><a><?pi data?></a>".utf8)))
        XCTAssertEqual(ReportFormats.processingInstructionWithoutData(Data("<a><?pi?></a>".utf8)), 3)
    }
}

extension ReportFuzzRegressionTests {
    /// A CSV file holding only a UTF-8 byte-order mark indexed past the reader's buffer (a trap).
    func testCSVOfOnlyAByteOrderMarkIsAnEmptyFile() throws {
        let path = Self.directory.appendingPathComponent("csv-byte-order-mark-only.csv").path
        guard case .failure(let error)? = ReportReader(paths: [path]).makeIterator().next() else {
            return XCTFail("expected a failure")
        }
        XCTAssertEqual(error.message, "empty CSV file")
    }
}

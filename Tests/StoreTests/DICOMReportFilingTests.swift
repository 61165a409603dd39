import Foundation
import Reports
import XCTest
@testable import Store

/// Filing an SR document stored over STOW-RS: the instance and its report in one transaction,
/// the report labelled as `importReports` labels it and linked to the instance's study.
final class DICOMReportFilingTests: XCTestCase {
    func record(sop: String, study: String = "2.25.50", series: String = "2.25.51") -> DICOMInstanceRecord {
        DICOMInstanceRecord(
            patient: .init(identifier: "P5"), study: .init(uid: study), series: .init(uid: series, modality: "SR"),
            sopInstanceUID: sop, sopClassUID: "1.2.840.10008.5.1.4.1.1.88.22", instanceNumber: 1,
            transferSyntax: "1.2.840.10008.1.2.1", rows: nil, columns: nil, frames: nil, bitsAllocated: nil,
            path: "/data/instances/\(sop).dcm", fileSize: 100, contentHash: "hash-\(sop)")
    }

    func report(_ sop: String, study: String = "2.25.50") -> Report {
        Report(id: sop, sections: [ReportSection(name: "FINDINGS", text: "The heart is enlarged."),
                                   ReportSection(name: "IMPRESSION", text: "Cardiomegaly.")],
               source: ReportSource(path: "/data/instances/\(sop).dcm"), study: StudyReference(studyInstanceUID: study))
    }

    func testAReportIsFiledWithItsInstanceLabelledAndLinked() throws {
        let database = try ThoraxDatabase()
        let labeler = try ReportLabeler()
        var moved = false
        let summary = try database.fileDICOMReport(instance: record(sop: "2.25.52"), report: report("2.25.52"), source: "dicomweb",
                                                   labeler: labeler) { moved = true }
        XCTAssertTrue(moved)
        XCTAssertEqual([summary.read, summary.added, summary.linked], [1, 1, 1])
        XCTAssertGreaterThan(summary.labelsWritten, 0)
        XCTAssertEqual(try database.dicomStoreCounts(), DICOMStoreCounts(patients: 1, studies: 1, series: 1, instances: 1, images: 0))
        let reports = try database.reportSummaries()
        XCTAssertEqual(reports.map(\.identifier), ["2.25.52"])
        XCTAssertEqual(reports.first?.positives, ["Cardiomegaly"])
        XCTAssertEqual(reports.first?.source, "dicomweb")

        // The same text imported from a file gets the same labels.
        let imported = try database.importReports([.success(report("2.25.52-file"))], source: "file", labeler: labeler)
        XCTAssertEqual(imported.labelsWritten, summary.labelsWritten)

        // Without a report (an algorithm's SR) only the instance is filed.
        let alone = try database.fileDICOMReport(instance: record(sop: "2.25.53", series: "2.25.54"), report: nil, source: "dicomweb",
                                                 labeler: labeler) {}
        XCTAssertEqual(alone, ReportImportSummary())
        XCTAssertEqual(try database.dicomStoreCounts().instances, 2)
        XCTAssertEqual(try database.reportSummaries().count, 2)
    }

    /// A conflict or a failure of `beforeCommit` files neither the instance nor the report.
    func testAFailureFilesNothing() throws {
        let database = try ThoraxDatabase()
        let labeler = try ReportLabeler()
        try database.fileDICOMReport(instance: record(sop: "2.25.60"), report: report("2.25.60"), source: "dicomweb", labeler: labeler) {}
        XCTAssertThrowsError(try database.fileDICOMReport(instance: record(sop: "2.25.60"), report: report("2.25.60"), source: "dicomweb",
                                                          labeler: labeler) {}) {
            XCTAssertEqual(($0 as? DICOMFilingConflict)?.storedInstanceUID, "2.25.60")
        }
        struct MoveFailed: Error {}
        XCTAssertThrowsError(try database.fileDICOMReport(instance: record(sop: "2.25.61"), report: report("2.25.61"), source: "dicomweb",
                                                          labeler: labeler) { throw MoveFailed() }) { XCTAssertTrue($0 is MoveFailed) }
        XCTAssertEqual(try database.dicomStoreCounts().instances, 1)
        XCTAssertEqual(try database.reportSummaries().map(\.identifier), ["2.25.60"])
    }
}

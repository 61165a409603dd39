import Foundation
import GRDB
import Reports
import XCTest
@testable import Store

/// Reports that name their study (DICOM SR, HL7 v2) are stored linked to it and its patient:
/// by Study Instance UID, else by an accession number exactly one study has; unlinked otherwise,
/// and linked on a later import once the study is there.
final class ReportStudyLinkTests: XCTestCase {
    func links(_ database: ThoraxDatabase) throws -> [String: [String?]] {
        try database.queue.read { db in
            var links: [String: [String?]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT r.identifier, s.identifier, p.identifier FROM reports r
                LEFT JOIN studies s ON s.id = r.study_id LEFT JOIN patients p ON p.id = r.patient_id
                """) {
                links[row[0]] = [row[1], row[2]]
            }
            return links
        }
    }

    /// A source instance of `study` under `patient` (accession number "A-<study>").
    func record(patient: String = "P1", study: String = "2.25.10", series: String = "2.25.11", sop: String = "2.25.12") -> DICOMInstanceRecord {
        DICOMInstanceRecord(
            patient: .init(identifier: patient, name: "Doe^Jane", birthDate: "19610203", sex: "F"),
            study: .init(uid: study, date: "20200115", time: "093000", accessionNumber: "A-\(study)", studyID: "S1",
                         referringPhysician: nil, description: "Chest"),
            series: .init(uid: series, modality: "DX", number: 3, description: nil),
            sopInstanceUID: sop, sopClassUID: "1.2.840.10008.5.1.4.1.1.1.1", instanceNumber: 1,
            transferSyntax: "1.2.840.10008.1.2.1", rows: 48, columns: 64, frames: 1, bitsAllocated: 8,
            path: "/data/instances/\(sop).dcm", fileSize: 100, contentHash: "hash-\(sop)")
    }

    func report(_ id: String, uid: String? = nil, accession: String? = nil) -> Result<Report, ReportReadError> {
        .success(Report(id: id, sections: [ReportSection(name: "IMPRESSION", text: "Small left pleural effusion.")],
                        source: ReportSource(path: "\(id).hl7"),
                        study: uid == nil && accession == nil ? nil : StudyReference(studyInstanceUID: uid, accessionNumber: accession)))
    }

    func testReportsAreLinkedByStudyUIDOrAccessionNumber() throws {
        let database = try ThoraxDatabase()
        try database.fileDICOMInstances(source: record(), image: nil, results: []) {}
        try database.fileDICOMInstances(source: record(patient: "P2", study: "2.25.20", series: "2.25.21", sop: "2.25.22"),
                                         image: nil, results: []) {}
        let labeler = try ReportLabeler()
        let summary = try database.importReports([
            report("by-uid", uid: "2.25.10"),
            report("by-accession", accession: "A-2.25.20"),
            report("uid-wins", uid: "2.25.10", accession: "A-2.25.20"),
            report("unknown-study", uid: "2.25.99", accession: "A-none"),
            report("no-study"),
        ], source: "hospital", labeler: labeler)
        XCTAssertEqual(summary.added, 5)
        XCTAssertEqual(summary.linked, 3)
        XCTAssertEqual(try links(database), [
            "by-uid": ["2.25.10", "P1"], "by-accession": ["2.25.20", "P2"], "uid-wins": ["2.25.10", "P1"],
            "unknown-study": [nil, nil], "no-study": [nil, nil],
        ])

        // The study arrives later: importing the same report again links it (an update).
        try database.fileDICOMInstances(source: record(patient: "P3", study: "2.25.99", series: "2.25.91", sop: "2.25.92"),
                                         image: nil, results: []) {}
        let again = try database.importReports([report("unknown-study", uid: "2.25.99", accession: "A-none"), report("no-study")],
                                               source: "hospital", labeler: labeler)
        XCTAssertEqual(again.updated, 1)
        XCTAssertEqual(again.unchanged, 1)
        XCTAssertEqual(try links(database)["unknown-study"], ["2.25.99", "P3"])
    }

    func testAnAccessionNumberTwoStudiesShareLinksNeither() throws {
        let database = try ThoraxDatabase()
        var first = record(patient: "P1", study: "2.25.30", series: "2.25.31", sop: "2.25.32")
        first.study.accessionNumber = "SHARED"
        var second = record(patient: "P2", study: "2.25.40", series: "2.25.41", sop: "2.25.42")
        second.study.accessionNumber = "SHARED"
        try database.fileDICOMInstances(source: first, image: nil, results: []) {}
        try database.fileDICOMInstances(source: second, image: nil, results: []) {}
        let summary = try database.importReports([report("ambiguous", accession: "SHARED")], source: "hospital", labeler: try ReportLabeler())
        XCTAssertEqual(summary.linked, 0)
        XCTAssertEqual(try links(database)["ambiguous"], [nil, nil])
    }
}

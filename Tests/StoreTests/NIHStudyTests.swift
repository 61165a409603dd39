import Foundation
import GRDB
import TestSupport
import XCTest
@testable import Store

/// The NIH import's studies: one per patient and Data_Entry "Follow-up #", every image linked.
final class NIHStudyTests: XCTestCase {
    /// (image name, patient identifier, study identifier) of every image, by image name.
    private func imageStudies(_ database: ThoraxDatabase) throws -> [[String]] {
        try database.queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT i.name, p.identifier, s.identifier, s.patient_id = i.patient_id
                FROM images i JOIN patients p ON p.id = i.patient_id LEFT JOIN studies s ON s.id = i.study_id
                ORDER BY i.name
                """).map { row in
                XCTAssertEqual(row[3] as Bool?, true, "study of \(row[0] as String) belongs to another patient")
                return [row[0], row[1], row[2] ?? "none"]
            }
        }
    }

    func testEveryImageGetsTheStudyOfItsFollowUpNumber() throws {
        let database = try ThoraxDatabase()
        let summary = try database.importNIH(try NIHFixture.read())
        XCTAssertEqual(summary.studiesAdded, 22)
        XCTAssertEqual(try database.statistics().studies, 22)
        let rows = try imageStudies(database)
        XCTAssertEqual(rows.count, 22)
        // From Fixtures/nih-small/Data_Entry.csv, columns Patient ID and Follow-up #: the
        // study follows the column, not the number in the image name.
        XCTAssertEqual(rows.first { $0[0] == "00000001_002.png" }, ["00000001_002.png", "1", "002"])
        XCTAssertEqual(rows.first { $0[0] == "00000003_001.png" }, ["00000003_001.png", "3", "000"])
        XCTAssertEqual(rows.first { $0[0] == "00000468_017.png" }, ["00000468_017.png", "468", "035"])
        XCTAssertEqual(rows.first { $0[0] == "00000865_002.png" }, ["00000865_002.png", "865", "011"])
        XCTAssertEqual(ThoraxDatabase.nihStudyIdentifier(followUp: 183), "183")
        XCTAssertEqual(ThoraxDatabase.nihStudyIdentifier(followUp: 1234), "1234")
    }

    func testChangedFollowUpMovesTheImageAndDropsTheEmptiedStudy() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try ThoraxDatabase()
        try database.importNIH(try NIHFixture.read())
        let files = try NIHFixture.copy(to: directory, editing: "Data_Entry.csv") {
            $0.replacingOccurrences(of: "00000002_000.png,No Finding,0,2,", with: "00000002_000.png,No Finding,7,2,")
        }
        let summary = try database.importNIH(try NIHFixture.read(files))
        XCTAssertEqual(summary.studiesAdded, 1)
        XCTAssertEqual(summary.studiesRemoved, 1)
        XCTAssertEqual(summary.imagesUpdated, 1)
        XCTAssertEqual(try imageStudies(database).first { $0[0] == "00000002_000.png" }, ["00000002_000.png", "2", "007"])
        let patientTwoStudies = try database.queue.read { db in
            try String.fetchAll(db, sql: """
                SELECT s.identifier FROM studies s JOIN patients p ON p.id = s.patient_id WHERE p.identifier = '2'
                """)
        }
        XCTAssertEqual(patientTwoStudies, ["007"])
        XCTAssertEqual(try database.statistics().studies, 22)
    }

    func testImportLeavesEveryReferenceValid() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try ThoraxDatabase()
        try database.importNIH(try NIHFixture.read(), imagesDirectory: NIHFixture.images)
        let files = try NIHFixture.copy(to: directory, editing: "Data_Entry.csv") {
            $0.replacingOccurrences(of: "00000003_002.png,Hernia,1,3,", with: "00000003_002.png,Hernia,9,3,")
        }
        try database.importNIH(try NIHFixture.read(files))
        XCTAssertEqual(try foreignKeyViolations(database), [])
        XCTAssertEqual(try database.queue.read { db in try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") }, true)
    }

    func testDatabaseImportedWithoutStudiesGetsThemOnReimport() throws {
        let database = try ThoraxDatabase()
        try database.importNIH(try NIHFixture.read())
        // As a file imported before studies were written: no studies, images without one.
        try database.queue.write { db in
            try db.execute(sql: "UPDATE images SET study_id = NULL; DELETE FROM studies")
        }
        let summary = try database.importNIH(try NIHFixture.read())
        XCTAssertEqual(summary.studiesAdded, 22)
        XCTAssertEqual(summary.imagesUpdated, 22)
        XCTAssertFalse(try imageStudies(database).contains { $0[2] == "none" })
        XCTAssertFalse(try database.importNIH(try NIHFixture.read()).changedAnything)
    }
}

/// SQLite's check of every foreign key in the database: (table, rowid, parent) per violation.
func foreignKeyViolations(_ database: ThoraxDatabase) throws -> [String] {
    try database.queue.read { db in
        try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map { "\($0[0] as String) \($0[1] as Int64?) \($0[2] as String)" }
    }
}

import Foundation
import GRDB
import TestSupport
import XCTest
@testable import Store

final class NIHImportTests: XCTestCase {
    func testImportStoresFixture() throws {
        let database = try ThoraxDatabase()
        let summary = try database.importNIH(try NIHFixture.read())
        XCTAssertEqual(summary.patientsAdded, 5)
        XCTAssertEqual(summary.imagesAdded, 22)
        XCTAssertEqual(summary.labelsAdded, 27)
        XCTAssertEqual(summary.boxesAdded, 4)
        XCTAssertEqual(summary.splitChanges, 22)

        let statistics = try database.statistics()
        XCTAssertEqual(statistics.images, 22)
        XCTAssertEqual(statistics.patients, 5)
        XCTAssertEqual(statistics.boxes, 4)
        XCTAssertEqual(statistics.imagesOnDisk, 0)
        XCTAssertEqual(statistics.splits, ["official": ["train_val": 4, "test": 18]])
        // Counted by hand from Fixtures/nih-small/Data_Entry.csv.
        XCTAssertEqual(statistics.labels, [
            "Atelectasis": 7, "Cardiomegaly": 3, "Effusion": 1, "Emphysema": 1, "Hernia": 3,
            "Infiltration": 3, "Pneumothorax": 3, "Consolidation": 1, "No Finding": 5,
        ])
        XCTAssertEqual(statistics.boxesByClass, ["Atelectasis": 3, "Infiltration": 1])

        let row = try database.queue.read { db in
            try Row.fetchOne(db, sql: """
                SELECT p.identifier, i.follow_up, i.age, i.sex, i.view, i.original_width,
                       i.original_height, i.pixel_spacing_x, i.path
                FROM images i JOIN patients p ON p.id = i.patient_id WHERE i.name = '00000468_017.png'
                """)
        }
        XCTAssertEqual(row, [
            "identifier": "468", "follow_up": 35, "age": 31, "sex": "M", "view": "AP",
            "original_width": 3056, "original_height": 2544, "pixel_spacing_x": 0.139, "path": nil,
        ])
    }

    func testReimportChangesNothing() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try ThoraxDatabase(path: directory.appendingPathComponent("t.sqlite").path)
        try database.importNIH(try NIHFixture.read(), imagesDirectory: NIHFixture.images)
        let before = try dumpTables(database)
        let summary = try database.importNIH(try NIHFixture.read(), imagesDirectory: NIHFixture.images)
        XCTAssertFalse(summary.changedAnything, "\(summary)")
        XCTAssertEqual(summary.filesFound, 2)
        XCTAssertEqual(try dumpTables(database), before)
    }

    func testChangedFilesUpdateOnlyWhatChanged() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try ThoraxDatabase()
        try database.importNIH(try NIHFixture.read())
        // Patient 2's only image gains Effusion; one box is dropped; one test image moves to train_val.
        let files = try NIHFixture.copy(to: directory)
        func edit(_ file: URL, _ change: (String) -> String) throws {
            try change(try String(contentsOf: file, encoding: .utf8)).write(to: file, atomically: true, encoding: .utf8)
        }
        try edit(files[0]) {
            $0.replacingOccurrences(of: "00000002_000.png,No Finding,", with: "00000002_000.png,Effusion,")
        }
        try edit(files[1]) {
            $0.split(separator: "\n").filter { !$0.hasPrefix("00000865_006.png") }.joined(separator: "\n") + "\n"
        }
        try "00000001_000.png\n00000001_001.png\n00000001_002.png\n00000002_000.png\n00000003_001.png\n"
            .write(to: files[2], atomically: true, encoding: .utf8)
        try String(contentsOf: NIHFixture.test, encoding: .utf8).replacingOccurrences(of: "00000003_001.png\n", with: "")
            .write(to: files[3], atomically: true, encoding: .utf8)
        let summary = try database.importNIH(try NIHFixture.read(files))
        XCTAssertEqual(summary.imagesAdded, 0)
        XCTAssertEqual(summary.labelsAdded, 1)
        XCTAssertEqual(summary.labelsRemoved, 1)
        XCTAssertEqual(summary.boxesRemoved, 1)
        XCTAssertEqual(summary.boxesAdded, 0)
        XCTAssertEqual(summary.splitChanges, 1)
        let statistics = try database.statistics()
        XCTAssertEqual(statistics.labels["No Finding"], 4)
        XCTAssertEqual(statistics.labels["Effusion"], 2)
        XCTAssertEqual(statistics.splits, ["official": ["train_val": 5, "test": 17]])
    }

    /// A failure inside the write transaction (here a trigger that rejects the first box,
    /// after images and labels were written) leaves every table as it was.
    func testFailureMidImportRollsBack() throws {
        let database = try ThoraxDatabase()
        try database.importNIH(try NIHFixture.read())
        try database.queue.write { db in
            try db.execute(sql: "DELETE FROM boxes")
            try db.execute(sql: "UPDATE images SET age = 99")
            try db.execute(sql: """
                CREATE TRIGGER reject_boxes BEFORE INSERT ON boxes
                BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                """)
        }
        let before = try dumpTables(database)
        XCTAssertThrowsError(try database.importNIH(try NIHFixture.read())) { error in
            XCTAssertTrue("\(error)".contains("injected failure"), "\(error)")
        }
        XCTAssertEqual(try dumpTables(database), before)
    }

    /// A broken file fails before anything is written, naming file and line.
    func testBrokenFileLeavesDatabaseUnchanged() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try ThoraxDatabase()
        try database.importNIH(try NIHFixture.read())
        let before = try dumpTables(database)
        let files = try NIHFixture.copy(to: directory, editing: "Data_Entry.csv") {
            $0.replacingOccurrences(of: ",0,865,39,M,", with: ",0,865,39,X,")
        }
        XCTAssertThrowsError(try database.importNIH(try NIHFixture.read(files))) { error in
            XCTAssertEqual("\(error)", "\(files[0].path):12: Patient Gender: \"X\" is not M or F")
        }
        XCTAssertEqual(try dumpTables(database), before)
    }

    func testImagesOnDiskAreRecordedWithDimensionsAndBadFilesReported() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["00000001_000.png", "00000002_000.png"] {
            try FileManager.default.copyItem(at: NIHFixture.images.appendingPathComponent(name),
                                             to: directory.appendingPathComponent(name))
        }
        try Data("not a png at all".utf8).write(to: directory.appendingPathComponent("00000003_001.png"))
        try Data([0x89, 0x50]).write(to: directory.appendingPathComponent("00000003_002.png"))
        try Data().write(to: directory.appendingPathComponent("99999999_000.png"))
        let database = try ThoraxDatabase()
        let summary = try database.importNIH(try NIHFixture.read(), imagesDirectory: directory)
        XCTAssertEqual(summary.filesFound, 2)
        XCTAssertEqual(summary.filesUnlisted, 1)
        XCTAssertEqual(summary.fileProblems, [
            directory.standardizedFileURL.path + "/00000003_001.png: not a PNG file (bad signature)",
            directory.standardizedFileURL.path + "/00000003_002.png: not a PNG file (bad signature)",
        ])
        let rows = try database.queue.read { db in
            try Row.fetchAll(db, sql: "SELECT name, path, file_size, width, height FROM images WHERE path IS NOT NULL ORDER BY name")
        }
        XCTAssertEqual(rows, [
            ["name": "00000001_000.png", "path": directory.standardizedFileURL.path + "/00000001_000.png",
             "file_size": 31668, "width": 256, "height": 256],
            ["name": "00000002_000.png", "path": directory.standardizedFileURL.path + "/00000002_000.png",
             "file_size": 29921, "width": 256, "height": 256],
        ])
        XCTAssertEqual(try database.statistics().imagesOnDisk, 2)
    }

    func testDatabaseFileIsMigratedAndReopened() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("thorax.sqlite").path
        do {
            let database = try ThoraxDatabase(path: path)
            try database.importNIH(try NIHFixture.read())
        }
        let reopened = try ThoraxDatabase(path: path)
        XCTAssertEqual(try reopened.appliedMigrations().count, 6)
        XCTAssertEqual(try reopened.statistics().images, 22)
    }

    /// A file made by the first schema version opens upgraded, its rows kept.
    func testVersion1FileIsUpgradedInPlace() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("old.sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            let first = ThoraxDatabase.migrator.migrations[0]
            try ThoraxDatabase.migrator.migrate(queue, upTo: first)
            try queue.write { db in
                try db.execute(sql: "INSERT INTO reports (source, identifier, text) VALUES ('openi', 'CXR1', 'Normal.')")
            }
        }
        let database = try ThoraxDatabase(path: path)
        XCTAssertEqual(try database.appliedMigrations(), ThoraxDatabase.migrator.migrations)
        let row = try database.queue.read { db in try Row.fetchOne(db, sql: "SELECT identifier, file FROM reports") }
        XCTAssertEqual(row, ["identifier": "CXR1", "file": nil])
    }

    func testNotADatabaseIsNamed() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("junk.sqlite").path
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ThoraxDatabase(path: path)) { error in
            XCTAssertEqual(error as? StoreError, .notThoraxDatabase(path: path, reason: "not an SQLite file"))
        }
    }

    /// The schema refuses what the columns' meaning forbids.
    func testSchemaRejectsInvalidLabels() throws {
        let database = try ThoraxDatabase()
        try database.importNIH(try NIHFixture.read())
        try database.queue.write { db in
            let image = try Int64.fetchOne(db, sql: "SELECT id FROM images LIMIT 1")!
            for (sql, arguments) in [
                ("INSERT INTO labels (image_id, class, value, source) VALUES (?, 'Cardiomegaly', 2, 'human')", [image]),
                ("INSERT INTO labels (image_id, class, value, source) VALUES (?, 'Heart', 1, 'human')", [image]),
                ("INSERT INTO labels (image_id, class, value, source) VALUES (?, 'Mass', 1, 'model')", [image]),
                ("INSERT INTO labels (class, value, source) VALUES ('Mass', 1, 'human')", []),
                ("INSERT INTO labels (image_id, class, value, source) VALUES (?, 'Cardiomegaly', 1, 'nih')", [image]),
            ] as [(String, StatementArguments)] {
                XCTAssertThrowsError(try db.execute(sql: sql, arguments: arguments), sql)
            }
        }
    }
}

final class ContentHashTests: XCTestCase {
    func testKnownVector() {
        // FIPS 180-2, appendix B.1.
        XCTAssertEqual(contentHash(of: Data("abc".utf8)),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// Hashes stored by an import equal `sha256sum`'s, and survive a re-import without --hash.
    func testImportStoresHashes() throws {
        let database = try ThoraxDatabase()
        try database.importNIH(try NIHFixture.read(), imagesDirectory: NIHFixture.images, hashFiles: true)
        let hashes = { try database.queue.read { db in
            try String.fetchAll(db, sql: "SELECT content_hash FROM images WHERE path IS NOT NULL ORDER BY name")
        } }
        XCTAssertEqual(try hashes(), [
            "aeda55cf854fb47adad22f2c6277aec1a33d84d3b936dc33885abe18f0e5696d",
            "1a41a9719605d6d0fa9e9a080f1a66e01bc582437680130cf4de29c9789b014c",
        ])
        let summary = try database.importNIH(try NIHFixture.read(), imagesDirectory: NIHFixture.images)
        XCTAssertFalse(summary.changedAnything)
        XCTAssertEqual(try hashes()[0], "aeda55cf854fb47adad22f2c6277aec1a33d84d3b936dc33885abe18f0e5696d")
    }
}

import Foundation
import GRDB
import TestSupport
import XCTest
@testable import Store

/// The two ways to open a database file: `init(existingAt:access:)` never creates one, and
/// neither way migrates or overwrites a file that is not a Thorax database of this schema or an
/// older one — each such file is named, with what it is, and left byte for byte as it was.
final class OpenDatabaseTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try SharedData.temporaryDirectory("open-database")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The names in the scratch folder, so that a test sees any file a call left behind.
    private func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    /// Asserts that opening `file` both ways throws `expected` and changes nothing in the folder.
    private func assertRefused(_ file: String, _ expected: StoreError, line: UInt = #line) throws {
        let before = try listing()
        let bytes = FileManager.default.contents(atPath: file)
        for access in [ThoraxDatabase.Access.read, .update] {
            XCTAssertThrowsError(try ThoraxDatabase(existingAt: file, access: access), line: line) { error in
                XCTAssertEqual(error as? StoreError, expected, line: line)
            }
        }
        XCTAssertThrowsError(try ThoraxDatabase(path: file), line: line) { error in
            XCTAssertEqual(error as? StoreError, expected, line: line)
        }
        XCTAssertEqual(try listing(), before, "no file made or removed", line: line)
        XCTAssertEqual(FileManager.default.contents(atPath: file), bytes, "the file is unchanged", line: line)
    }

    func testAMissingFileIsNamedAndNotCreated() throws {
        let file = path("typo.sqlite")
        for access in [ThoraxDatabase.Access.read, .update] {
            XCTAssertThrowsError(try ThoraxDatabase(existingAt: file, access: access)) { error in
                XCTAssertEqual(error as? StoreError, .noDatabase(path: file))
                XCTAssertEqual("\(error)", "\(file): no such database file (`thorax db import-nih`, `thorax db import-dicom` or `thorax db import-reports` creates one)")
            }
        }
        XCTAssertEqual(try listing(), [])
        XCTAssertEqual(try ThoraxDatabase.inspect(file), .absent)
        XCTAssertEqual(try ThoraxDatabase.inspect(path("no-folder/thorax.sqlite")), .absent)
    }

    func testADirectoryIsNotADatabase() throws {
        let folder = path("folder.sqlite")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        try assertRefused(folder, .notThoraxDatabase(path: folder, reason: "a directory, not a database file"))
    }

    func testAFileOfAnotherKindIsNamedAndLeftAlone() throws {
        let file = path("notes.sqlite")
        try Data("patient notes\n".utf8).write(to: URL(fileURLWithPath: file))
        try assertRefused(file, .notThoraxDatabase(path: file, reason: "not an SQLite file"))
        XCTAssertEqual("\(StoreError.notThoraxDatabase(path: file, reason: "not an SQLite file"))",
                       "\(file): not a Thorax database (not an SQLite file)")
    }

    func testAnotherProgramsSQLiteDatabaseIsNamedAndLeftAlone() throws {
        let file = path("other.sqlite")
        do {
            let queue = try DatabaseQueue(path: file)
            try queue.write { db in try db.execute(sql: "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('x')") }
        }
        try assertRefused(file, .notThoraxDatabase(path: file, reason: "an SQLite database without Thorax's tables"))
    }

    func testADatabaseOfANewerThoraxIsNamedAndLeftAlone() throws {
        let file = path("newer.sqlite")
        do {
            let database = try ThoraxDatabase(path: file)
            try database.queue.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: something new')")
            }
        }
        let expected = StoreError.newerSchema(path: file, unknownMigrations: ["v99: something new"])
        try assertRefused(file, expected)
        XCTAssertEqual("\(expected)", "\(file): a database of a newer thorax (its schema has 1 change this thorax does not know, first 'v99: something new'); it is left as it is: open it with that thorax")
    }

    /// An empty file (e.g. made by `touch`) holds nothing to lose: readers refuse it, an
    /// importer makes a database of it.
    func testAnEmptyFileIsRefusedByReadersAndBecomesADatabaseForImporters() throws {
        let file = path("empty.sqlite")
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: nil))
        XCTAssertEqual(try ThoraxDatabase.inspect(file), .empty("an empty file"))
        XCTAssertThrowsError(try ThoraxDatabase(existingAt: file)) { error in
            XCTAssertEqual(error as? StoreError, .notThoraxDatabase(path: file, reason: "an empty file"))
        }
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int, 0)
        XCTAssertEqual(try ThoraxDatabase(path: file).appliedMigrations(), ThoraxDatabase.migrator.migrations)
        XCTAssertEqual(try ThoraxDatabase.inspect(file), .current)
    }

    /// Read access cannot change the file; update access can; both see the same rows.
    func testReadAccessIsReadOnly() throws {
        let file = path("thorax.sqlite")
        try ThoraxDatabase(path: file).importNIH(try NIHFixture.read())
        let modified = try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date
        let reader = try ThoraxDatabase(existingAt: file, access: .read)
        XCTAssertEqual(try reader.statistics().images, 22)
        XCTAssertThrowsError(try reader.queue.write { db in try db.execute(sql: "DELETE FROM labels") })
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date, modified)
        let updater = try ThoraxDatabase(existingAt: file, access: .update)
        try updater.makePatientSplit(SplitRequest(name: "halves", parts: [("a", 1), ("b", 1)], seed: 1))
        XCTAssertEqual(try reader.parts(ofSplit: "halves"), ["a", "b"])
        XCTAssertEqual(try listing(), ["thorax.sqlite"])
    }

    /// A file of the first schema version opened as an existing database is upgraded in place.
    func testAnOlderSchemaIsUpgradedWhenOpened() throws {
        let file = path("old.sqlite")
        do {
            let queue = try DatabaseQueue(path: file)
            try ThoraxDatabase.migrator.migrate(queue, upTo: ThoraxDatabase.migrator.migrations[0])
        }
        XCTAssertEqual(try ThoraxDatabase.inspect(file), .older(missingMigrations: ThoraxDatabase.migrator.migrations.count - 1))
        let database = try ThoraxDatabase(existingAt: file, access: .read)
        XCTAssertEqual(try database.appliedMigrations(), ThoraxDatabase.migrator.migrations)
        XCTAssertEqual(try database.statistics().images, 0)
    }

    func testCreatingInAFolderThatDoesNotExistIsNamed() throws {
        let file = path("runs/thorax.sqlite")
        XCTAssertThrowsError(try ThoraxDatabase(path: file)) { error in
            XCTAssertEqual(error as? StoreError, .cannotCreate(path: file, reason: "no folder \(path("runs"))"))
            XCTAssertEqual("\(error)", "\(file): cannot create the database: no folder \(path("runs"))")
        }
        let underFile = path("notes.txt/thorax.sqlite")
        try Data("x".utf8).write(to: URL(fileURLWithPath: path("notes.txt")))
        XCTAssertThrowsError(try ThoraxDatabase(path: underFile)) { error in
            XCTAssertEqual(error as? StoreError, .cannotCreate(path: underFile, reason: "\(path("notes.txt")) is not a folder"))
        }
        XCTAssertEqual(try listing(), ["notes.txt"])
    }

    func testAnUnknownLabelSourceIsRefused() throws {
        let database = try ThoraxDatabase()
        try database.importNIH(try NIHFixture.read())
        XCTAssertThrowsError(try database.labelledImages(split: "official", part: "test", source: "nhi")) { error in
            XCTAssertEqual("\(error)", "unknown label source 'nhi': nih, labeller, human or model:ID (thorax db stats lists the models)")
        }
        XCTAssertEqual(try database.labelledImages(split: "official", part: "test", source: "human").count, 18)
    }

    func testAnUnknownSplitOrPartIsNamedInASplitRequest() throws {
        let file = path("thorax.sqlite")
        let database = try ThoraxDatabase(path: file)
        XCTAssertThrowsError(try database.makePatientSplit(SplitRequest(name: "x", parts: [("a", 1), ("b", 1)], seed: 1))) { error in
            XCTAssertEqual("\(error)", "\(file) holds no images to split (`thorax db import-nih` or `thorax db import-dicom` adds them)")
        }
        try database.importNIH(try NIHFixture.read())
        XCTAssertThrowsError(try database.makePatientSplit(SplitRequest(
            name: "x", parts: [("a", 1), ("b", 1)], seed: 1, within: ("official", "validation")))) { error in
            XCTAssertEqual("\(error)", "split 'official' has no part 'validation' (it has test, train_val)")
        }
    }

    /// Error messages never show who a patient is.
    func testMessagesDoNotNamePatients() throws {
        XCTAssertEqual("\(StoreError.splitNotDisjoint(split: "mine", patients: 2))", "split 'mine' puts 2 patients in more than one part")
        let files = try NIHFixture.copy(to: directory, editing: "Data_Entry.csv") {
            $0.replacingOccurrences(of: "00000001_001.png,Cardiomegaly|Emphysema,1,1,", with: "00000001_001.png,Cardiomegaly|Emphysema,1,Jane Doe,")
        }
        XCTAssertThrowsError(try NIHFixture.read(files)) { error in
            XCTAssertEqual("\(error)", "\(files[0].path):3: Patient ID: not a number")
        }
    }

    /// The folder part of a path as written (Foundation's traps on "x" and "a/" on Linux).
    func testFolderPart() {
        let cases = ["x": "", "x/": "", "thorax.sqlite": "", "runs/x": "runs", "runs/x/": "runs", "a//b": "a",
                     "/x": "/", "/": "/", "/tmp/a/b.csv": "/tmp/a", "./b": "."]
        for (path, folder) in cases { XCTAssertEqual(folderPart(of: path), folder, path) }
    }
}

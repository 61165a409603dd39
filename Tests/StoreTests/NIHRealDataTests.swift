import Foundation
import GRDB
import TestSupport
import XCTest
@testable import Store

/// The importer on the real NIH files in the shared data's nih (skipped where they are absent).
final class NIHRealDataTests: XCTestCase {
    private struct Shared {
        let release: NIHRelease
        let database: ThoraxDatabase
        let directory: URL
        let first: NIHImportSummary
    }

    /// One import shared by the tests of this class (it takes seconds in a debug build).
    // nonisolated(unsafe): filled by the first test that needs it; XCTest runs the tests one at a time.
    nonisolated(unsafe) private static var shared: Shared?

    private func imported() throws -> Shared {
        if let shared = Self.shared { return shared }
        guard let dataEntry = SharedData.url("nih/Data_Entry_2017_v2020.csv"),
              let boxes = SharedData.url("nih/BBox_List_2017.csv"),
              let trainValidation = SharedData.url("nih/train_val_list.txt"),
              let test = SharedData.url("nih/test_list.txt") else {
            throw XCTSkip("the shared data's nih (THORAX_SHARED_DATA) is not here: the real NIH metadata tests need it")
        }
        let release = try NIHRelease.read(dataEntry: dataEntry, boxes: boxes,
                                          trainValidationList: trainValidation, testList: test)
        let directory = try SharedData.temporaryDirectory()
        let database = try ThoraxDatabase(path: directory.appendingPathComponent("thorax.sqlite").path)
        let first = try database.importNIH(release, imagesDirectory: SharedData.url("nih/images"))
        Self.shared = Shared(release: release, database: database, directory: directory, first: first)
        return Self.shared!
    }

    override class func tearDown() {
        if let directory = shared?.directory { try? FileManager.default.removeItem(at: directory) }
        shared = nil
    }

    func testCountsMatchTheRelease() throws {
        let shared = try imported()
        let statistics = try shared.database.statistics()
        XCTAssertEqual(statistics.images, 112_120)
        XCTAssertEqual(statistics.patients, 30_805)
        // One study per (Patient ID, Follow-up #): every pair in Data_Entry is distinct.
        XCTAssertEqual(statistics.studies, 112_120)
        XCTAssertEqual(shared.first.studiesAdded, 112_120)
        XCTAssertEqual(try shared.database.queue.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM images WHERE study_id IS NULL")
        }, 0)
        XCTAssertEqual(try foreignKeyViolations(shared.database), [])
        XCTAssertEqual(statistics.boxes, 984)
        XCTAssertEqual(statistics.splits, ["official": ["train_val": 86_524, "test": 25_596]])
        XCTAssertEqual(statistics.imagesOnDisk, 200)
        // Class counts the NIH published with the release.
        XCTAssertEqual(statistics.labels["No Finding"], 60_361)
        XCTAssertEqual(statistics.labels["Infiltration"], 19_894)
        XCTAssertEqual(statistics.labels["Hernia"], 227)
        XCTAssertEqual(statistics.boxesByClass["Infiltration"], 123)
        XCTAssertEqual(try shared.database.patientsInSeveralParts(of: "official"), [])
    }

    func testReimportChangesNothing() throws {
        let shared = try imported()
        let summary = try shared.database.importNIH(shared.release, imagesDirectory: SharedData.url("nih/images"))
        XCTAssertFalse(summary.changedAnything, "\(summary)")
        XCTAssertEqual(summary.filesFound, 200)
    }

    func testExportOfOfficialTestReproducesItsRows() throws {
        let shared = try imported()
        let output = shared.directory.appendingPathComponent("test.csv")
        XCTAssertEqual(try shared.database.exportDataEntry(split: "official", part: "test", to: output), 25_596)
        let original = try String(contentsOf: SharedData.url("nih/Data_Entry_2017_v2020.csv")!, encoding: .utf8)
        let exported = try String(contentsOf: output, encoding: .utf8)
        XCTAssertEqual(Array(exported.split(separator: "\n").dropFirst()).map(String.init),
                       normalizedDataEntryRows(original, keeping: Set(shared.release.test)))
    }

    func testRandomSplitOfTrainValidationIsPatientDisjoint() throws {
        let shared = try imported()
        let counts = try shared.database.makePatientSplit(SplitRequest(
            name: "tuning", parts: [("train", 7), ("validation", 1)], seed: 5,
            within: ("official", "train_val"), replace: true))
        XCTAssertEqual(counts.map(\.images).reduce(0, +), 86_524)
        XCTAssertEqual(try shared.database.patientsInSeveralParts(of: "tuning"), [])
        XCTAssertEqual(Double(counts[0].images) / 86_524, 0.875, accuracy: 0.01)
    }

    func testFoldsOfTheImagesOnDiskArePatientDisjoint() throws {
        let shared = try imported()
        let images = try shared.database.labelledImages(split: "official", part: "train_val").filter { $0.path != nil }
        XCTAssertGreaterThan(images.count, 100, "the train_val films the shared data's nih/images holds")
        let patients = try shared.database.patientIdentifiers(ofImages: images.map(\.id))
        XCTAssertEqual(patients.count, images.count)
        let folds = try PatientFolds(patients: patients, count: 5, seed: 1)
        XCTAssertEqual(folds.folds.flatMap { $0 }.sorted(), images.map(\.id).sorted())
        let patientSets = folds.folds.map { Set($0.map { patients[$0]! }) }
        XCTAssertEqual(patientSets.map(\.count).reduce(0, +), Set(patients.values).count, "no patient in two folds")
        let sizes = folds.folds.map(\.count)
        // Greedy by size: no two folds differ by more than the largest patient's image count.
        let largest = Dictionary(grouping: patients.values, by: { $0 }).values.map(\.count).max()!
        XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, largest, "\(sizes)")
        XCTAssertThrowsError(try shared.database.patientIdentifiers(ofImages: [-5]))
    }
}

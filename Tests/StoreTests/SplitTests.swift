import Foundation
import GRDB
import TestSupport
import XCTest
@testable import Store

final class SplitTests: XCTestCase {
    /// 300 patients; patient k has (k mod 17) + 1 images: 2,667 images in all.
    private func makeDatabase() throws -> ThoraxDatabase {
        let database = try ThoraxDatabase()
        try database.queue.write { db in
            for patient in 0..<300 {
                try db.execute(sql: "INSERT INTO patients (identifier) VALUES (?)", arguments: ["\(patient)"])
                let patientID = db.lastInsertedRowID
                for image in 0...(patient % 17) {
                    try db.execute(sql: "INSERT INTO images (name, patient_id) VALUES (?, ?)",
                                   arguments: ["\(patient)_\(image).png", patientID])
                }
            }
        }
        return database
    }

    private func assignment(_ database: ThoraxDatabase, _ split: String) throws -> [String: String] {
        try database.queue.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: """
                SELECT i.name, s.part FROM splits s JOIN images i ON i.id = s.image_id WHERE s.name = ?
                """, arguments: [split]).map { ($0[0] as String, $0[1] as String) })
        }
    }

    private let ratios: [(name: String, ratio: Double)] = [("train", 70), ("validation", 10), ("test", 20)]

    func testSplitIsPatientDisjointCompleteAndNearTheRatios() throws {
        let database = try makeDatabase()
        let counts = try database.makePatientSplit(SplitRequest(name: "random", parts: ratios, seed: 7))
        let parts = try assignment(database, "random")
        XCTAssertEqual(parts.count, 2667, "every image is in exactly one part")
        // Disjointness checked here independently of the store's own check.
        var partOfPatient: [String: String] = [:]
        for (image, part) in parts {
            let patient = String(image.split(separator: "_")[0])
            if let earlier = partOfPatient[patient] { XCTAssertEqual(earlier, part, "patient \(patient)") }
            partOfPatient[patient] = part
        }
        XCTAssertEqual(partOfPatient.count, 300)
        XCTAssertEqual(try database.patientsInSeveralParts(of: "random"), [])
        for (count, target) in zip(counts, [0.7, 0.1, 0.2]) {
            // Whole patients of at most 17 images cannot hit a ratio closer than that.
            XCTAssertEqual(Double(count.images) / 2667, target, accuracy: 17.0 / 2667, count.part)
        }
        XCTAssertEqual(counts.map(\.images).reduce(0, +), 2667)
        XCTAssertEqual(counts.map(\.patients).reduce(0, +), 300)
        XCTAssertEqual(try database.splitCounts("random").map(\.part), ["test", "train", "validation"])
    }

    func testSameSeedSameSplitOtherSeedOtherSplit() throws {
        let database = try makeDatabase()
        try database.makePatientSplit(SplitRequest(name: "a", parts: ratios, seed: 3))
        try database.makePatientSplit(SplitRequest(name: "b", parts: ratios, seed: 3))
        try database.makePatientSplit(SplitRequest(name: "c", parts: ratios, seed: 4))
        XCTAssertEqual(try assignment(database, "a"), try assignment(database, "b"))
        XCTAssertNotEqual(try assignment(database, "a"), try assignment(database, "c"))
    }

    func testExistingNameNeedsReplace() throws {
        let database = try makeDatabase()
        try database.makePatientSplit(SplitRequest(name: "a", parts: ratios, seed: 3))
        XCTAssertThrowsError(try database.makePatientSplit(SplitRequest(name: "a", parts: ratios, seed: 4))) { error in
            XCTAssertEqual("\(error)", "a split named 'a' exists already (use --replace)")
        }
        try database.makePatientSplit(SplitRequest(name: "a", parts: ratios, seed: 4, replace: true))
        try database.makePatientSplit(SplitRequest(name: "c", parts: ratios, seed: 4))
        XCTAssertEqual(try assignment(database, "a"), try assignment(database, "c"))
    }

    func testBadRequestsAreRefused() throws {
        let database = try makeDatabase()
        XCTAssertThrowsError(try database.makePatientSplit(SplitRequest(name: "x", parts: [("all", 1)], seed: 1)))
        XCTAssertThrowsError(try database.makePatientSplit(SplitRequest(name: "x", parts: [("a", 1), ("a", 1)], seed: 1)))
        XCTAssertThrowsError(try database.makePatientSplit(SplitRequest(name: "x", parts: [("a", 1), ("b", 0)], seed: 1)))
        XCTAssertThrowsError(try database.makePatientSplit(SplitRequest(
            name: "x", parts: ratios, seed: 1, within: ("official", "train_val")))) { error in
            XCTAssertEqual("\(error)", "no split named 'official'")
        }
        XCTAssertEqual(try database.statistics().splits, [:])
    }

    func testWithinSplitsOnlyThatPart() throws {
        let database = try ThoraxDatabase()
        try database.importNIH(try NIHFixture.read())
        try database.makePatientSplit(SplitRequest(
            name: "tuning", parts: [("train", 50), ("validation", 50)], seed: 1,
            within: (ThoraxDatabase.officialSplit, ThoraxDatabase.officialTest)))
        let parts = try assignment(database, "tuning")
        let test = try NIHFixture.read().test
        XCTAssertEqual(Set(parts.keys), Set(test))
        XCTAssertEqual(try database.patientsInSeveralParts(of: "tuning"), [])
    }

    /// The disjointness check itself finds a patient placed in two parts.
    func testDisjointnessCheckFindsCrossingPatient() throws {
        let database = try makeDatabase()
        try database.makePatientSplit(SplitRequest(name: "random", parts: ratios, seed: 7))
        try database.queue.write { db in
            try db.execute(sql: """
                UPDATE splits SET part = CASE part WHEN 'train' THEN 'test' ELSE 'train' END
                WHERE name = 'random' AND image_id = (SELECT id FROM images WHERE name = '16_0.png')
                """)
        }
        XCTAssertEqual(try database.patientsInSeveralParts(of: "random"), ["16"])
    }
}

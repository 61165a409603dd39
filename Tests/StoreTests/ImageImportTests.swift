import Foundation
import GRDB
import TestSupport
import XCTest
@testable import Store

/// `importImages`: image files with their patient and study (the DICOM import's store side).
final class ImageImportTests: XCTestCase {
    private func record(_ name: String, patient: String = "1", study: String? = "1.2.3", path: String? = nil,
                        age: Int? = 58) -> ImageRecord {
        ImageRecord(name: name, patient: patient, study: study, age: age, sex: "M", view: "PA",
                    pixelSpacingX: 0.139, pixelSpacingY: 0.143,
                    file: ImageFile(path: path ?? "/data/\(name).dcm", size: 1000, width: 64, height: 48, contentHash: "ab"))
    }

    func testImagesGetTheirPatientAndStudyAndReimportChangesNothing() throws {
        let database = try ThoraxDatabase()
        try database.importNIH(try NIHFixture.read())
        let records = [record("1.1"), record("1.2"), record("2.1", patient: "900", study: "9.9"), record("3.1", patient: "900", study: nil)]
        let summary = try database.importImages(records)
        // Patient "1" is the NIH fixture's patient 1; "900" is new.
        XCTAssertEqual(summary, ImageImportSummary(patientsAdded: 1, studiesAdded: 2, imagesAdded: 4, imagesUpdated: 0, unchanged: 0))
        let rows = try database.queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT i.name, p.identifier AS patient, s.identifier AS study, i.age, i.sex, i.view, i.pixel_spacing_x,
                       i.pixel_spacing_y, i.original_width, i.height, i.path, i.file_size, i.content_hash, i.follow_up
                FROM images i JOIN patients p ON p.id = i.patient_id LEFT JOIN studies s ON s.id = i.study_id
                WHERE i.name IN ('1.1', '3.1') ORDER BY i.name
                """)
        }
        XCTAssertEqual(rows, [
            ["name": "1.1", "patient": "1", "study": "1.2.3", "age": 58, "sex": "M", "view": "PA", "pixel_spacing_x": 0.139,
             "pixel_spacing_y": 0.143, "original_width": 64, "height": 48, "path": "/data/1.1.dcm", "file_size": 1000,
             "content_hash": "ab", "follow_up": nil],
            ["name": "3.1", "patient": "900", "study": nil, "age": 58, "sex": "M", "view": "PA", "pixel_spacing_x": 0.139,
             "pixel_spacing_y": 0.143, "original_width": 64, "height": 48, "path": "/data/3.1.dcm", "file_size": 1000,
             "content_hash": "ab", "follow_up": nil],
        ])
        let before = try dumpTables(database)
        XCTAssertEqual(try database.importImages(records), ImageImportSummary(unchanged: 4))
        XCTAssertEqual(try dumpTables(database), before)

        // A moved file and a corrected age update that image only.
        var moved = records
        moved[1] = record("1.2", path: "/elsewhere/1.2.dcm", age: 59)
        XCTAssertEqual(try database.importImages(moved), ImageImportSummary(imagesUpdated: 1, unchanged: 3))
        XCTAssertEqual(try database.images(forFiles: ["/elsewhere/1.2.dcm"]).map { $0?.name }, ["1.2"])
    }

    func testASecondRecordOfANameIsLeftOutAndNamed() throws {
        let database = try ThoraxDatabase()
        let summary = try database.importImages([record("1.1", path: "/a.dcm"), record("1.1", path: "/b.dcm")])
        XCTAssertEqual(summary.imagesAdded, 1)
        XCTAssertEqual(summary.duplicates, ["/b.dcm: image 1.1 was already read from /a.dcm; left out"])
        XCTAssertEqual(try database.images(forFiles: ["/a.dcm", "/b.dcm"]).map { $0?.name }, ["1.1", nil])
    }

    func testAFailureLeavesTheDatabaseUnchanged() throws {
        let database = try ThoraxDatabase()
        try database.importImages([record("1.1")])
        let before = try dumpTables(database)
        var bad = record("1.2", patient: "7")
        bad.sex = "X"   // the schema allows M, F, O
        XCTAssertThrowsError(try database.importImages([record("1.3", patient: "8"), bad]))
        XCTAssertEqual(try dumpTables(database), before)
    }

    func testDICOMAgeStrings() {
        XCTAssertEqual(ImageRecord.years(fromAgeString: "058Y"), 58)
        XCTAssertEqual(ImageRecord.years(fromAgeString: "81"), 81)
        XCTAssertEqual(ImageRecord.years(fromAgeString: "030M"), 2)
        XCTAssertEqual(ImageRecord.years(fromAgeString: "104W"), 2)
        XCTAssertEqual(ImageRecord.years(fromAgeString: "200D"), 0)
        XCTAssertNil(ImageRecord.years(fromAgeString: ""))
        XCTAssertNil(ImageRecord.years(fromAgeString: "Y"))
        XCTAssertNil(ImageRecord.years(fromAgeString: "5 years"))
        XCTAssertNil(ImageRecord.years(fromAgeString: "٥٨Y"))
    }
}

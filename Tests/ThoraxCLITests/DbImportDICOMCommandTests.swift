import Foundation
import GRDB
@testable import Store
import TestSupport
import XCTest

/// `thorax db import-dicom` on Imaging's DICOM fixtures and the shared NIH DICOM files.
final class DbImportDICOMCommandTests: XCTestCase {
    private let fixtures = SharedData.repositoryRoot.appendingPathComponent("Tests/ImagingTests/Fixtures")
    private var directory: URL!
    private var database: String { directory.appendingPathComponent("thorax.sqlite").path }

    override func setUpWithError() throws {
        directory = try SharedData.temporaryDirectory("thorax-db-dicom")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func testImportsReadableFilesNamesTheOthersAndReimportsNothing() throws {
        // base16 and implicit-le16 carry the same SOP Instance UID; base16-truncated ends inside
        // its pixel data; notes.txt is not DICOM. All carry Patient ID 1 and one Study UID (dcmdump).
        let input = directory.appendingPathComponent("dicom/nested")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        for name in ["base8.dcm", "monochrome1.dcm", "base16.dcm", "implicit-le16.dcm", "base16-truncated.dcm"] {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent(name), to: input.appendingPathComponent(name))
        }
        try Data("not an image".utf8).write(to: input.appendingPathComponent("notes.txt"))
        let folder = directory.appendingPathComponent("dicom").path
        let path = { (name: String) in input.appendingPathComponent(name).path }

        let first = try ForwardCommandTests.run(["db", "import-dicom", "--database", database, folder])
        XCTAssertEqual(first.status, 1)
        XCTAssertEqual(first.output, """
            read 5 DICOM files (1 other file in the directories left alone)
            added 1 patients, 1 studies, 3 images; updated 0 images; 0 unchanged

            """)
        let errors = first.error.split(separator: "\n").map(String.init)
        XCTAssertEqual(errors.count, 2, first.error)
        XCTAssertTrue(errors[0].hasPrefix("error: \(path("base16-truncated.dcm")): "), errors[0])
        XCTAssertEqual(errors[1], "error: \(path("implicit-le16.dcm")): image 1.2.826.0.1.3680043.10.1378.371618492171329734276176309027426993 was already read from \(path("base16.dcm")); left out")

        let row = try ThoraxDatabase(path: database).queue.read { db in
            try Row.fetchOne(db, sql: """
                SELECT p.identifier AS patient, s.identifier AS study, i.age, i.sex, i.view, i.pixel_spacing_x,
                       i.pixel_spacing_y, i.width, i.height, i.path, i.file_size, i.content_hash
                FROM images i JOIN patients p ON p.id = i.patient_id JOIN studies s ON s.id = i.study_id
                WHERE i.name = '1.2.826.0.1.3680043.10.1378.599934006325735878351206681570973060'
                """)
        }
        let base8 = try Data(contentsOf: URL(fileURLWithPath: path("base8.dcm")))
        XCTAssertEqual(row, ["patient": "1", "study": "1.3.6.1.4.1.11129.5.5.111396399361969898205364400549799252857604",
                             "age": 58, "sex": "M", "view": "PA", "pixel_spacing_x": 0.139, "pixel_spacing_y": 0.143,
                             "width": 64, "height": 48, "path": path("base8.dcm"), "file_size": base8.count,
                             "content_hash": contentHash(of: base8)])

        let second = try ForwardCommandTests.run(["db", "import-dicom", "--database", database, path("base8.dcm"), path("monochrome1.dcm")])
        XCTAssertEqual(second.status, 0, second.error)
        XCTAssertEqual(second.output, "read 2 DICOM files\nadded 0 patients, 0 studies, 0 images; updated 0 images; 2 unchanged\n")

        let notDICOM = try ForwardCommandTests.run(["db", "import-dicom", "--database", database, input.appendingPathComponent("notes.txt").path])
        XCTAssertEqual(notDICOM.status, 1)
        XCTAssertTrue(notDICOM.error.hasPrefix("error: \(input.appendingPathComponent("notes.txt").path): "), notDICOM.error)
        let missing = try ForwardCommandTests.run(["db", "import-dicom", "--database", database, "/nonexistent/dicom"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.error.hasPrefix("Error: /nonexistent/dicom: no such file or directory\n"), missing.error)
    }

    func testSharedNIHDICOMFiles() throws {
        guard let shared = SharedData.url("nih/dicom") else { throw XCTSkip("the shared data's nih/dicom (THORAX_SHARED_DATA) is not here") }
        let folder = shared.standardizedFileURL
        let result = try ForwardCommandTests.run(["db", "import-dicom", "--database", database, folder.path])
        // As dcmdump lists them: test4-6 are edited copies of test1 (same SOP Instance UID, other
        // Body Part Examined), so three images: Patient IDs 2, 1 and 61, one study each.
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.output, "read 6 DICOM files\nadded 3 patients, 3 studies, 3 images; updated 0 images; 0 unchanged\n")
        let test1 = folder.appendingPathComponent("test1.dcm").path
        XCTAssertEqual(result.error, ["test4.dcm", "test5.dcm", "test6.dcm"].map {
            "error: \(folder.appendingPathComponent($0).path): image 1.3.6.1.4.1.11129.5.5.110503645592756492463169821050252582267888 "
                + "was already read from \(test1); left out\n"
        }.joined())
        let statistics = try ThoraxDatabase(path: database).statistics()
        XCTAssertEqual([statistics.images, statistics.imagesOnDisk, statistics.patients, statistics.studies], [3, 3, 3, 3])
    }
}

import Foundation
import Store
import TestSupport
import XCTest

/// `thorax db import-dicomweb` against Orthanc holding the NIH DICOMs (three studies, one image
/// each): a study alone, then the rest with the imported one skipped, then nothing left to
/// retrieve; the filters; the errors for a bad URL and a server that does not answer.
final class DbImportDICOMwebCommandTests: XCTestCase {
    static let cardiomegalyStudy = "1.3.6.1.4.1.11129.5.5.111396399361969898205364400549799252857604"
    static let images = [
        "1.3.6.1.4.1.11129.5.5.110503645592756492463169821050252582267888",
        "1.3.6.1.4.1.11129.5.5.153751009835107614666834563294684339746480",
        "1.3.6.1.4.1.11129.5.5.179222148351666120521423991179194552820263",
    ]

    func testPullsStudiesFromOrthancAndResumes() throws {
        guard let nih = SharedData.url("nih/dicom") else {
            throw XCTSkip("the shared NIH DICOMs (nih/dicom) are not here; set THORAX_SHARED_DATA")
        }
        let directory = try SharedData.temporaryDirectory("import-dicomweb")
        defer { try? FileManager.default.removeItem(at: directory) }
        let orthanc = try OrthancProcess(in: directory)
        defer { orthanc.stop() }
        try orthanc.upload(try FileManager.default.contentsOfDirectory(at: nih, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "dcm" }.sorted { $0.path < $1.path })
        let database = directory.appendingPathComponent("thorax.sqlite").path
        func importing(_ extra: [String]) throws -> ThoraxOutput {
            try runThorax(["db", "import-dicomweb", orthanc.dicomweb, "--database", database] + extra, in: directory)
        }

        let one = try importing(["--study", Self.cardiomegalyStudy])
        XCTAssertEqual(one.status, 0, one.standardError)
        XCTAssertTrue(one.standardOutput.contains("found 1 study with 1 instance at \(orthanc.dicomweb)"), one.standardOutput)
        XCTAssertTrue(one.standardOutput.contains("retrieved 1 instance ("), one.standardOutput)
        XCTAssertTrue(one.standardOutput.contains("added 1 patients, 1 studies, 1 images"), one.standardOutput)
        XCTAssertEqual(try ThoraxDatabase(existingAt: database).imageNames(among: Self.images), [Self.images[1]])

        let all = try importing([])
        XCTAssertEqual(all.status, 0, all.standardError)
        XCTAssertTrue(all.standardOutput.contains("found 3 studies with 3 instances"), all.standardOutput)
        XCTAssertTrue(all.standardOutput.contains("retrieved 2 instances ("), all.standardOutput)
        XCTAssertTrue(all.standardOutput.contains("skipped 1 already imported"), all.standardOutput)
        XCTAssertEqual(try ThoraxDatabase(existingAt: database).imageNames(among: Self.images), Set(Self.images))
        for uid in Self.images {
            let file = directory.appendingPathComponent("thorax-data/imported/\(uid).dcm")
            XCTAssertTrue(FileManager.default.fileExists(atPath: file.path), "\(uid) is retrieved whole into the data directory")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("thorax-data/imported").path)
            .filter { $0.hasSuffix(".partial") }
        XCTAssertEqual(leftovers, [], "no temporary file stays behind")

        let again = try importing([])
        XCTAssertEqual(again.status, 0, again.standardError)
        XCTAssertTrue(again.standardOutput.contains("retrieved 0 instances ("), again.standardOutput)
        XCTAssertTrue(again.standardOutput.contains("skipped 3 already imported"), again.standardOutput)
        XCTAssertTrue(again.standardOutput.contains("added 0 patients, 0 studies, 0 images"), again.standardOutput)

        let patient = try importing(["--patient", "61"])
        XCTAssertEqual(patient.status, 0, patient.standardError)
        XCTAssertTrue(patient.standardOutput.contains("found 1 study with 1 instance"), patient.standardOutput)
        let future = try importing(["--since", "2100-01-01"])
        XCTAssertEqual(future.status, 0, future.standardError)
        XCTAssertEqual(future.standardOutput, "found 0 studies with 0 instances at \(orthanc.dicomweb)\n")
    }

    func testRefusesWhatIsNotADICOMwebServer() throws {
        let directory = try SharedData.temporaryDirectory("import-dicomweb-errors")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("thorax.sqlite").path
        let notURL = try runThorax(["db", "import-dicomweb", "pacs:8042/dicom-web", "--database", database], in: directory)
        XCTAssertNotEqual(notURL.status, 0)
        XCTAssertTrue(notURL.standardError.contains("pacs:8042/dicom-web is not the http(s) URL of a DICOMweb service"), notURL.standardError)
        let badDate = try runThorax(["db", "import-dicomweb", "http://127.0.0.1:1/dicom-web", "--since", "2024-13-01",
                                     "--database", database], in: directory)
        XCTAssertNotEqual(badDate.status, 0)
        XCTAssertTrue(badDate.standardError.contains("--since 2024-13-01: not a date"), badDate.standardError)
        // Port 1: nothing listens there, so the connection is refused.
        let closed = try runThorax(["db", "import-dicomweb", "http://127.0.0.1:1/dicom-web", "--patient", "SECRET-ID", "--timeout", "2",
                                    "--database", database], in: directory)
        XCTAssertNotEqual(closed.status, 0)
        XCTAssertTrue(closed.standardError.contains("GET http://127.0.0.1:1/dicom-web/studies: no answer"), closed.standardError)
        XCTAssertFalse(closed.standardError.contains("SECRET-ID"), "errors never repeat the query: \(closed.standardError)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: database), "nothing imported, no database made")
    }
}

import DICOMResults
@testable import DICOMweb
import Foundation
import HTTPTypes
import HummingbirdTesting
import Imaging
import Multipart
import Store
import XCTest

/// STOW-RS through a real Hummingbird application with the bundled model.
final class StowTests: XCTestCase {
    /// One instance: 200, its reference in the response, the instance, its report and one
    /// figure per present class filed and written, and its image recorded as `db import-dicom` does.
    func testStoringAnInstanceFilesItAndItsResults() async throws {
        let instance = TestInstance()
        let image = try DICOMFile(Data(instance.bytes), name: "test").image()
        let present = try await BundledModel.load().predict(image).presentClasses.count
        try await withDICOMweb { fixture, client in
            let (body, headers) = try StowBody.make([instance.bytes])
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "application/dicom+json")
                let dataSet = try XCTUnwrap(try response.dataSets().first)
                let referenced = items(dataSet, "00081199")
                XCTAssertEqual(referenced.count, 1)
                XCTAssertEqual(string(referenced[0], "00081155"), instance.sopInstanceUID)
                XCTAssertEqual(string(referenced[0], "00081150"), instance.sopClassUID)
                XCTAssertEqual(string(referenced[0], "00081190"), "http://localhost/dicom-web/studies/\(instance.studyUID)"
                    + "/series/\(instance.seriesUID)/instances/\(instance.sopInstanceUID)")
                XCTAssertEqual(string(dataSet, "00081190"), "http://localhost/dicom-web/studies/\(instance.studyUID)")
                XCTAssertNil(dataSet["00081198"], "no failed instances")
            }
            let counts = try fixture.counts()
            XCTAssertEqual(counts.all, [1, 1, present > 0 ? 3 : 2, 2 + present, 1], "patients, studies, series, instances, images")
            XCTAssertEqual(try fixture.files().count, 2 + present)
            let stored = try XCTUnwrap(try fixture.database.storedDICOMInstance(uid: instance.sopInstanceUID))
            XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: stored.path))), instance.bytes, "stored byte for byte")
            XCTAssertEqual(stored.path, fixture.instancesDirectory.appendingPathComponent(instance.sopInstanceUID + ".dcm").path)
            let results = try fixture.database.storedDICOMInstances(study: instance.studyUID).filter { $0.derivedFrom != nil }
            XCTAssertEqual(results.map(\.derivedFrom), Array(repeating: instance.sopInstanceUID, count: 1 + present))
            XCTAssertEqual(results.filter { $0.sopClassUID == MeasurementReport.sopClassUID }.count, 1)
            XCTAssertEqual(results.filter { $0.sopClassUID == SecondaryCapture.sopClassUID }.count, present)
            for result in results {
                let elements = try DICOMFile.dataElements(Data(contentsOf: URL(fileURLWithPath: result.path)), name: result.path)
                let json = DICOMJSONDataSet(elements)
                XCTAssertEqual(json[0x0020_000D]?.values, [.string(instance.studyUID)], "results join the source's study")
                XCTAssertEqual(json[0x0010_0010]?.values, [.personName(PersonName("Doe^Jane"))])
                XCTAssertNotEqual(json[0x0020_000E]?.values, [.string(instance.seriesUID)], "in a series of their own")
            }
            let statistics = try fixture.database.statistics()
            XCTAssertEqual(statistics.images, 1)
        }
    }

    /// The same bytes again change nothing and succeed; other bytes under a stored UID fail
    /// with 0111 and change nothing either.
    func testStoringAgainIsIdempotentAndOtherBytesUnderAStoredUIDAreRefused() async throws {
        try await withDICOMweb { fixture, client in
            let instance = TestInstance()
            let (body, headers) = try StowBody.make([instance.bytes])
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body) { XCTAssertEqual($0.status, .ok) }
            let counts = try fixture.counts(), files = try fixture.files()
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(items(try response.dataSets()[0], "00081199").count, 1)
            }
            XCTAssertEqual(try fixture.counts(), counts)
            XCTAssertEqual(try fixture.files(), files)

            var changed = instance
            changed.accessionNumber = "ACC-78"
            let (other, otherHeaders) = try StowBody.make([changed.bytes])
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: otherHeaders, body: other) { response in
                XCTAssertEqual(response.status, .conflict)
                let failed = items(try response.dataSets()[0], "00081198")
                XCTAssertEqual(failed.count, 1)
                XCTAssertEqual(integer(failed[0], "00081197"), 0x0111)
                XCTAssertEqual(string(failed[0], "00081155"), instance.sopInstanceUID)
            }
            XCTAssertEqual(try fixture.counts(), counts)
            XCTAssertEqual(try fixture.files(), files)
        }
    }

    /// A truncated instance among good ones fails alone (C000): 202, the others stored.
    func testABrokenInstanceFailsAlone() async throws {
        try await withDICOMweb { fixture, client in
            let good = TestInstance()
            var second = TestInstance()
            second.sopInstanceUID = "2.25.4103"
            second.instanceNumber = 2
            let truncated = Array(second.bytes.prefix(second.bytes.count - 700))
            let (body, headers) = try StowBody.make([good.bytes, truncated])
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body) { response in
                XCTAssertEqual(response.status, .accepted)
                let dataSet = try response.dataSets()[0]
                XCTAssertEqual(items(dataSet, "00081199").compactMap { string($0, "00081155") }, [good.sopInstanceUID])
                let failed = items(dataSet, "00081198")
                XCTAssertEqual(failed.count, 1)
                XCTAssertEqual(integer(failed[0], "00081197"), 0xC000)
            }
            XCTAssertNil(try fixture.database.storedDICOMInstance(uid: second.sopInstanceUID))
            XCTAssertNotNil(try fixture.database.storedDICOMInstance(uid: good.sopInstanceUID))
            XCTAssertFalse(try fixture.files().contains { $0.contains(second.sopInstanceUID) || $0.hasSuffix(".partial") })
        }
    }

    /// Instances that cannot be stored each get their reason, the request 409, and nothing is
    /// stored: an object without pixels that is no SR document, here a presentation state
    /// (0122), another study than the path's (A900), no
    /// Patient ID (A900), a transfer syntax the decoder does not read (C122), not DICOM (C000).
    func testInstancesThatCannotBeStoredGetTheirReasons() async throws {
        var noPatient = TestInstance()
        noPatient.patientID = nil
        noPatient.sopInstanceUID = "2.25.4104"
        let mpeg = try DecoderFixtures.bytes("mpeg2-labelled.dcm")
        let source = SourceImage(sopClassUID: "1.2.840.10008.5.1.4.1.1.1.1", sopInstanceUID: "2.25.4105", studyInstanceUID: "2.25.4100",
                                 seriesInstanceUID: "2.25.4101", rows: 48, columns: 64, patientID: "P-SECRET-7731")
        let report = try MeasurementReport(
            source: source, algorithm: AlgorithmIdentity(name: "other-cad", version: "1", deviceUID: "2.25.4106"),
            findings: [FindingResult(className: "Mass", probability: 0.2, threshold: 0.5, present: false)],
            instance: ResultInstance(seriesNumber: 1)).encoded()
        // The report's SOP Class UID (in the meta group and the data set) made a presentation
        // state's of the same length: Variable Modality LUT Softcopy Presentation State Storage.
        let presentationState = Data(report).replacing(Data("1.2.840.10008.5.1.4.1.1.88.33".utf8),
                                                       with: Data("1.2.840.10008.5.1.4.1.1.11.11".utf8))
        XCTAssertNotEqual(presentationState, report)
        let cases: [(String, [UInt8], String, Int)] = [
            ("a presentation state", Array(presentationState), "/dicom-web/studies", 0x0122),
            ("another study", TestInstance().bytes, "/dicom-web/studies/2.25.999", 0xA900),
            ("no Patient ID", noPatient.bytes, "/dicom-web/studies", 0xA900),
            ("MPEG-2", mpeg, "/dicom-web/studies", 0xC122),
            ("not DICOM", Array("not a DICOM file at all".utf8), "/dicom-web/studies", 0xC000),
        ]
        try await withDICOMweb { fixture, client in
            let counts = try fixture.counts()
            for (label, bytes, uri, reason) in cases {
                let (body, headers) = try StowBody.make([bytes])
                try await client.execute(uri: uri, method: .post, headers: headers, body: body) { response in
                    XCTAssertEqual(response.status, .conflict, label)
                    let failed = items(try response.dataSets()[0], "00081198")
                    XCTAssertEqual(failed.map { integer($0, "00081197") }, [reason], label)
                    XCTAssertNil(try response.dataSets()[0]["00081199"], label)
                }
                XCTAssertEqual(try fixture.counts(), counts, label)
                XCTAssertEqual(try fixture.files(), [], label)
            }
        }
    }

    /// An algorithm's SR — another CAD's TID 1500 measurement report — is stored and
    /// retrievable like any instance, and never read as the study's report.
    func testAnAlgorithmsMeasurementReportIsStoredButNotAReport() async throws {
        let source = SourceImage(sopClassUID: "1.2.840.10008.5.1.4.1.1.1.1", sopInstanceUID: "2.25.4205", studyInstanceUID: "2.25.4200",
                                 seriesInstanceUID: "2.25.4201", rows: 48, columns: 64, patientID: "P-4200")
        let report = try MeasurementReport(
            source: source, algorithm: AlgorithmIdentity(name: "other-cad", version: "1", manufacturer: "Other CAD", deviceUID: "2.25.4206"),
            findings: [FindingResult(className: "Mass", probability: 0.9, threshold: 0.5, present: true)],
            instance: ResultInstance(seriesNumber: 1)).encoded()
        try await withDICOMweb { fixture, client in
            let (body, headers) = try StowBody.make([Array(report)])
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertNil(try response.dataSets()[0]["00081198"])
            }
            let counts = try fixture.counts()
            XCTAssertEqual([counts.studies, counts.instances, counts.images], [1, 1, 0])
            let stored = try XCTUnwrap(try fixture.database.storedDICOMInstances(study: "2.25.4200").first)
            XCTAssertEqual(stored.sopClassUID, "1.2.840.10008.5.1.4.1.1.88.33")
            XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: stored.path))), Array(report))
            XCTAssertEqual(try fixture.database.reportSummaries(), [], "a measurement report is no hospital report")
        }
    }

    /// A file without a stored instance — left by a store stopped between moving its files and
    /// committing — is replaced by the instance's.
    func testAFileLeftByAnInterruptedStoreIsReplaced() async throws {
        try await withDICOMweb { fixture, client in
            let instance = TestInstance()
            let orphan = fixture.instancesDirectory.appendingPathComponent(instance.sopInstanceUID + ".dcm")
            try Data("left over".utf8).write(to: orphan)
            let (body, headers) = try StowBody.make([instance.bytes])
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body) { XCTAssertEqual($0.status, .ok) }
            XCTAssertEqual(Array(try Data(contentsOf: orphan)), instance.bytes)
        }
    }

    /// A study's store (POST /studies/{study}) takes instances of that study.
    func testAStudysStoreTakesItsInstances() async throws {
        try await withDICOMweb { fixture, client in
            let instance = TestInstance()
            let (body, headers) = try StowBody.make([instance.bytes], partType: nil)
            try await client.execute(uri: "/dicom-web/studies/\(instance.studyUID)", method: .post, headers: headers, body: body) {
                XCTAssertEqual($0.status, .ok)
            }
            XCTAssertNotNil(try fixture.database.storedDICOMInstance(uid: instance.sopInstanceUID))
        }
    }
}

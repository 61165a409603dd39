import Foundation
import HTTPTypes
import HummingbirdTesting
import XCTest

/// QIDO-RS over three stored instances: two studies of one patient (dates 2020-01-15 and
/// 2021-06-30) and one of another (2019-03-01, CR).
final class QidoTests: XCTestCase {
    static var instances: [TestInstance] {
        var first = TestInstance()
        var second = TestInstance()
        second.studyUID = "2.25.5100"
        second.seriesUID = "2.25.5101"
        second.sopInstanceUID = "2.25.5102"
        second.studyDate = "20210630"
        second.accessionNumber = "ACC-88"
        second.studyDescription = "Chest AP portable"
        var third = TestInstance()
        third.patientID = "P-0042"
        third.patientName = "Roe^Richard"
        third.studyUID = "2.25.6100"
        third.seriesUID = "2.25.6101"
        third.sopInstanceUID = "2.25.6102"
        third.studyDate = "20190301"
        third.modality = "CR"
        first.studyDescription = "Chest PA"
        return [first, second, third]
    }

    func withStoredStudies(maximumSearchResults: Int = 1000,
                           _ body: @Sendable (DICOMwebFixture, any TestClientProtocol) async throws -> Void) async throws {
        try await withDICOMweb(maximumSearchResults: maximumSearchResults) { fixture, client in
            let (body1, headers) = try StowBody.make(Self.instances.map(\.bytes))
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body1) {
                XCTAssertEqual($0.status, .ok)
            }
            try await body(fixture, client)
        }
    }

    func testStudiesMatchPatientDatesModalitiesAndUIDs() async throws {
        try await withStoredStudies { _, client in
            let all = ["2.25.4100", "2.25.5100", "2.25.6100"]
            let expectations: [(String, [String], String)] = [
                ("", all, "everything"),
                ("?PatientID=P-SECRET-7731", ["2.25.4100", "2.25.5100"], "a patient"),
                ("?00100020=P-0042", ["2.25.6100"], "a key by tag"),
                ("?PatientID=P-*", all, "wildcard"),
                ("?PatientName=roe*", ["2.25.6100"], "names ignore case"),
                ("?StudyDate=20200115", ["2.25.4100"], "one date"),
                ("?StudyDate=20200101-20211231", ["2.25.4100", "2.25.5100"], "a range"),
                ("?StudyDate=-20200115", ["2.25.4100", "2.25.6100"], "open start"),
                ("?StudyDate=20200116-", ["2.25.5100"], "open end"),
                ("?StudyDate=19000101-19991231", [], "none: 204"),
                ("?ModalitiesInStudy=CR", ["2.25.6100"], "a modality"),
                ("?ModalitiesInStudy=CR,DX", all, "modalities"),
                ("?ModalitiesInStudy=SR", all, "every study holds a report"),
                ("?ModalitiesInStudy=MR", [], "no MR"),
                ("?StudyInstanceUID=2.25.6100,2.25.4100", ["2.25.4100", "2.25.6100"], "a UID list"),
                ("?AccessionNumber=ACC-88&PatientID=P-SECRET-7731", ["2.25.5100"], "two keys"),
                ("?limit=1&offset=1", ["2.25.5100"], "a page"),
                ("?offset=3", [], "past the end"),
            ]
            for (query, expected, label) in expectations {
                let found = try await studyUIDs(client, query)
                XCTAssertEqual(found, expected, "\(label): \(query)")
            }
        }
    }

    func testStudyAttributesAndIncludeField() async throws {
        try await withStoredStudies { _, client in
            try await client.execute(uri: "/dicom-web/studies?PatientID=P-0042", method: .get,
                                     headers: [.accept: "application/dicom+json"]) { response in
                XCTAssertEqual(response.headers[.contentType], "application/dicom+json")
                let study = try XCTUnwrap(try response.dataSets().first)
                XCTAssertEqual(personName(study, "00100010"), "Roe^Richard")
                XCTAssertEqual((study["00100010"] as? [String: Any])?["vr"] as? String, "PN")
                XCTAssertEqual(string(study, "00100030"), "19610203")
                XCTAssertEqual(string(study, "00100040"), "F")
                XCTAssertEqual(string(study, "00080020"), "20190301")
                XCTAssertEqual(string(study, "00080030"), "093000")
                XCTAssertEqual(string(study, "00080050"), "ACC-77")
                XCTAssertEqual(personName(study, "00080090"), "Welby^Marcus")
                XCTAssertEqual(string(study, "00200010"), "S-9")
                let modalities = integer(study, "00201206") == 3 ? ["CR", "OT", "SR"] : ["CR", "SR"]
                XCTAssertEqual(values(study, "00080061") as? [String], modalities, "sorted, with the results'")
                XCTAssertEqual(string(study, "00080056"), "ONLINE")
                XCTAssertEqual(string(study, "00081190"), "http://localhost/dicom-web/studies/2.25.6100")
                XCTAssertGreaterThanOrEqual(integer(study, "00201206") ?? 0, 2)
                XCTAssertGreaterThanOrEqual(integer(study, "00201208") ?? 0, 2)
                XCTAssertNil(study["00081030"], "StudyDescription only when asked for")
            }
            for include in ["StudyDescription", "00081030", "all"] {
                try await client.execute(uri: "/dicom-web/studies?PatientID=P-0042&includefield=\(include)", method: .get) { response in
                    XCTAssertEqual(string(try response.dataSets()[0], "00081030"), "Chest PA", include)
                }
            }
        }
    }

    /// A key the store cannot match is ignored with a Warning; so is fuzzy matching; a search
    /// cut by the service's maximum says so.
    func testWarnings() async throws {
        try await withStoredStudies(maximumSearchResults: 2) { _, client in
            try await client.execute(uri: "/dicom-web/studies?BodyPartExamined=CHEST&fuzzymatching=true", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                let warnings = response.headers[values: HTTPField.Name("Warning")!]
                XCTAssertTrue(warnings.contains { $0.hasPrefix("299 thorax:") && $0.contains("BodyPartExamined") }, "\(warnings)")
                XCTAssertTrue(warnings.contains { $0.contains("fuzzymatching") }, "\(warnings)")
                XCTAssertTrue(warnings.contains { $0.contains("exceeded the maximum") }, "\(warnings)")
                XCTAssertEqual(try response.dataSets().count, 2)
            }
            try await client.execute(uri: "/dicom-web/studies?limit=1", method: .get) { response in
                XCTAssertEqual(response.headers[values: HTTPField.Name("Warning")!], [], "a page the client asked for is no warning")
            }
        }
    }

    func testSeriesAndInstancesOfAStudy() async throws {
        try await withStoredStudies { _, client in
            let series = try await client.execute(uri: "/dicom-web/studies/2.25.6100/series", method: .get) { try $0.dataSets() }
            let modalities = series.compactMap { string($0, "00080060") }
            XCTAssertEqual(modalities.first, "CR")
            XCTAssertTrue(modalities.contains("SR"))
            let source = try XCTUnwrap(series.first)
            XCTAssertEqual(string(source, "0020000E"), "2.25.6101")
            XCTAssertEqual(integer(source, "00200011"), 3)
            XCTAssertEqual(integer(source, "00201209"), 1)
            XCTAssertEqual(string(source, "00081190"), "http://localhost/dicom-web/studies/2.25.6100/series/2.25.6101")
            let report = try XCTUnwrap(series.first { string($0, "00080060") == "SR" })
            XCTAssertEqual(integer(report, "00200011"), 9901)
            XCTAssertTrue(string(report, "0008103E")?.contains("NOT FOR CLINICAL USE") ?? false)

            let onlySR = try await client.execute(uri: "/dicom-web/studies/2.25.6100/series?Modality=SR", method: .get) {
                try $0.dataSets()
            }
            XCTAssertEqual(onlySR.count, 1)
            let reportUID = try XCTUnwrap(string(report, "0020000E"))
            let reports = try await client.execute(uri: "/dicom-web/studies/2.25.6100/series/\(reportUID)/instances", method: .get) {
                try $0.dataSets()
            }
            XCTAssertEqual(reports.count, 1)
            XCTAssertEqual(string(reports[0], "00080016"), "1.2.840.10008.5.1.4.1.1.88.33")

            let instances = try await client.execute(uri: "/dicom-web/studies/2.25.6100/series/2.25.6101/instances", method: .get) {
                try $0.dataSets()
            }
            XCTAssertEqual(instances.count, 1)
            XCTAssertEqual(string(instances[0], "00080018"), "2.25.6102")
            XCTAssertEqual(integer(instances[0], "00280010"), 48)
            XCTAssertEqual(integer(instances[0], "00280011"), 64)
            XCTAssertEqual(integer(instances[0], "00280100"), 8)
            XCTAssertEqual(integer(instances[0], "00200013"), 1)
            XCTAssertEqual((instances[0]["00280010"] as? [String: Any])?["vr"] as? String, "US")
            let byClass = try await client.execute(uri: "/dicom-web/studies/2.25.6100/instances?SOPClassUID=1.2.840.10008.5.1.4.1.1.1.1",
                                                   method: .get) { try $0.dataSets() }
            XCTAssertEqual(byClass.compactMap { string($0, "00080018") }, ["2.25.6102"])
            try await client.execute(uri: "/dicom-web/studies/2.25.6100/series?SOPInstanceUID=2.25.6102", method: .get) { response in
                let warnings = response.headers[values: HTTPField.Name("Warning")!]
                XCTAssertTrue(warnings.contains { $0.contains("SOPInstanceUID") }, "an instance key in a series search: \(warnings)")
            }
        }
    }
}

/// The study UIDs a search returns, in order; [] for 204.
func studyUIDs(_ client: any TestClientProtocol, _ query: String) async throws -> [String] {
    try await client.execute(uri: "/dicom-web/studies" + query, method: .get) { response in
        if response.status == .noContent { return [] }
        XCTAssertEqual(response.status, .ok, query)
        return try response.dataSets().compactMap { string($0, "0020000D") }
    }
}

/// `includefield` beyond the attributes the database holds: read from the stored file.
final class QidoIncludeFieldTests: XCTestCase {
    func testListedAndAllFieldsComeFromTheStoredFile() async throws {
        try await withDICOMweb { _, client in
            let instance = TestInstance()
            try await store([instance.bytes], client)
            let study = "/dicom-web/studies?StudyInstanceUID=\(instance.studyUID)"
            try await client.execute(uri: study, method: .get) { response in
                XCTAssertNil(try response.dataSets()[0]["00101010"], "Patient's Age only when asked for")
            }
            for include in ["PatientAge", "00101010", "all"] {
                try await client.execute(uri: study + "&includefield=\(include)", method: .get) { response in
                    let found = try response.dataSets()[0]
                    XCTAssertEqual(string(found, "00101010"), "058Y", include)
                    XCTAssertEqual((found["00101010"] as? [String: Any])?["vr"] as? String, "AS", include)
                    XCTAssertNil(found["00185101"], "\(include): View Position is an instance's, not a study's")
                }
            }
            let series = "/dicom-web/studies/\(instance.studyUID)/series?Modality=DX"
            try await client.execute(uri: series + "&includefield=ViewPosition,SOPClassUID", method: .get) { response in
                let found = try response.dataSets()
                XCTAssertEqual(found.count, 1)
                XCTAssertEqual(string(found[0], "00185101"), "PA")
                XCTAssertEqual(string(found[0], "00080016"), instance.sopClassUID)
            }
            let instances = "/dicom-web/studies/\(instance.studyUID)/series/\(instance.seriesUID)/instances"
            try await client.execute(uri: instances + "?includefield=all", method: .get) { response in
                let found = try response.dataSets()
                XCTAssertEqual(found.count, 1)
                XCTAssertEqual(string(found[0], "00185101"), "PA")
                XCTAssertEqual(numbers(found[0], "00280030"), [0.143, 0.139])
                XCTAssertEqual(string(found[0], "00080050"), "ACC-77")
                XCTAssertNil(found[0]["7FE00010"], "no pixel data in a search")
                XCTAssertEqual(integer(found[0], "00280010"), 48)
            }
            try await client.execute(uri: instances, method: .get) { response in
                XCTAssertNil(try response.dataSets()[0]["00185101"], "View Position only when asked for")
            }
        }
    }
}

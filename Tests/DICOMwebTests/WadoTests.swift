@testable import DICOMweb
import Foundation
import HTTPTypes
import HummingbirdTesting
import Imaging
import Multipart
import Store
import XCTest

/// WADO-RS: instances as multipart/related, metadata as DICOM JSON, rendered images.
final class WadoTests: XCTestCase {
    func testInstancesSeriesAndStudiesComeAsMultipart() async throws {
        try await withDICOMweb { fixture, client in
            var second = TestInstance()
            second.sopInstanceUID = "2.25.4109"
            second.instanceNumber = 2
            let first = TestInstance()
            let (body, headers) = try StowBody.make([first.bytes, second.bytes])
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body) { XCTAssertEqual($0.status, .ok) }
            let series = "/dicom-web/studies/\(first.studyUID)/series/\(first.seriesUID)"
            for accept in [nil, "multipart/related; type=\"application/dicom\"",
                           "multipart/related; type=\"application/dicom\"; transfer-syntax=*",
                           "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1", "*/*"] {
                let headers: HTTPFields = accept.map { [.accept: $0] } ?? [:]
                try await client.execute(uri: series + "/instances/\(first.sopInstanceUID)", method: .get, headers: headers) { response in
                    XCTAssertEqual(response.status, .ok, accept ?? "no Accept")
                    let parts = try multipartParts(response)
                    XCTAssertEqual(parts.map(\.body), [first.bytes], accept ?? "no Accept")
                    XCTAssertEqual(parts.first?.contentType, "application/dicom; transfer-syntax=1.2.840.10008.1.2.1")
                }
            }
            try await client.execute(uri: series, method: .get) { response in
                XCTAssertEqual(try multipartParts(response).map(\.body), [first.bytes, second.bytes], "the series in instance order")
            }
            let stored = try fixture.database.storedDICOMInstances(study: first.studyUID)
            try await client.execute(uri: "/dicom-web/studies/\(first.studyUID)", method: .get) { response in
                let parts = try multipartParts(response)
                XCTAssertEqual(parts.count, stored.count, "the study: the sources and their results")
                XCTAssertEqual(parts.map(\.body), try stored.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0.path))) })
            }
        }
    }

    func testMetadataIsTheDataSetInDICOMJSON() async throws {
        try await withDICOMweb { fixture, client in
            let instance = TestInstance()
            let (body, headers) = try StowBody.make([instance.bytes])
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body) { XCTAssertEqual($0.status, .ok) }
            let path = "/dicom-web/studies/\(instance.studyUID)/series/\(instance.seriesUID)/instances/\(instance.sopInstanceUID)/metadata"
            try await client.execute(uri: path, method: .get) { response in
                XCTAssertEqual(response.headers[.contentType], "application/dicom+json")
                let dataSet = try XCTUnwrap(try response.dataSets().first)
                XCTAssertEqual(personName(dataSet, "00100010"), "Doe^Jane")
                XCTAssertEqual(string(dataSet, "00100020"), "P-SECRET-7731")
                XCTAssertEqual(integer(dataSet, "00280010"), 48)
                XCTAssertEqual(integer(dataSet, "00200011"), 3, "IS as a number")
                XCTAssertEqual(values(dataSet, "00280030").compactMap { ($0 as? NSNumber)?.doubleValue }, [0.143, 0.139], "DS as numbers")
                XCTAssertEqual((dataSet["00280010"] as? [String: Any])?["vr"] as? String, "US")
                let pixelData = dataSet["7FE00010"] as? [String: Any]
                XCTAssertNotNil(pixelData?["BulkDataURI"] as? String, "pixel data is bulk data, named by its URI")
                XCTAssertNil(pixelData?["Value"] ?? pixelData?["InlineBinary"], "pixel data is bulk data, not inline")
                XCTAssertNil(dataSet["00020010"], "no file meta information")
            }
            // The report: a structured report's content tree as nested sequences.
            let report = try XCTUnwrap(try fixture.database.storedDICOMInstances(study: instance.studyUID)
                .first { $0.sopClassUID == "1.2.840.10008.5.1.4.1.1.88.33" })
            let reportPath = "/dicom-web/studies/\(instance.studyUID)/series/\(report.seriesUID)/instances/\(report.sopInstanceUID)/metadata"
            try await client.execute(uri: reportPath, method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                let dataSet = try XCTUnwrap(try response.dataSets().first)
                XCTAssertEqual(string(dataSet, "0040A040"), "CONTAINER")
                let title = try XCTUnwrap(items(dataSet, "0040A043").first)
                XCTAssertEqual(string(title, "00080100"), "126000")
                let content = items(dataSet, "0040A730")
                XCTAssertGreaterThan(content.count, 5)
                XCTAssertTrue(content.contains { string($0, "0040A010") == "CONTAINS" })
            }
            // Series metadata: one data set per instance.
            try await client.execute(uri: "/dicom-web/studies/\(instance.studyUID)/series/\(instance.seriesUID)/metadata",
                                     method: .get) { XCTAssertEqual(try $0.dataSets().count, 1) }
        }
    }

    /// Metadata of an implicit-VR file gets its VRs from the dictionary (UN for others), of a
    /// big-endian one its numbers in the right byte order.
    func testMetadataOfImplicitAndBigEndianFixtures() throws {
        for name in ["implicit-le16.dcm", "explicit-be16.dcm"] {
            let elements = try DICOMFile.dataElements(Data(try DecoderFixtures.bytes(name)), name: name, implicitVR: { group, element in
                DataDictionary.byTag[UInt32(group) << 16 | UInt32(element)]?.vr
            })
            let json = try JSONSerialization.jsonObject(with: Data(try DICOMJSON.encode(DICOMJSONDataSet(elements)))) as? [String: Any] ?? [:]
            XCTAssertEqual(integer(json, "00280010"), 48, name)
            XCTAssertEqual(integer(json, "00280011"), 64, name)
            XCTAssertEqual((json["00280010"] as? [String: Any])?["vr"] as? String, "US", name)
            XCTAssertEqual(values(json, "00281053").compactMap { ($0 as? NSNumber)?.doubleValue }, [2.0], name)
            XCTAssertEqual(string(json, "00100020"), "1", name)
            XCTAssertNil(json["7FE00010"], name)
        }
    }

    func testRenderedImagesArePNGOrJPEGByAccept() async throws {
        try await withDICOMweb { _, client in
            let instance = TestInstance()
            let (body, headers) = try StowBody.make([instance.bytes])
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body) { XCTAssertEqual($0.status, .ok) }
            let decoded = try DICOMFile(Data(instance.bytes), name: "sent").image()
            let path = "/dicom-web/studies/\(instance.studyUID)/series/\(instance.seriesUID)/instances/\(instance.sopInstanceUID)/rendered"
            try await client.execute(uri: path, method: .get, headers: [.accept: "image/png"]) { response in
                XCTAssertEqual(response.headers[.contentType], "image/png")
                XCTAssertEqual(try PNGCodec.decode(Data(response.bytes), name: "rendered"), decoded, "the decoded image, losslessly")
            }
            for accept in ["image/jpeg", "image/*", "*/*", "image/gif;q=1, image/jpeg;q=0.5", "image/png;q=0.2, image/jpeg;q=0.9"] {
                try await client.execute(uri: path, method: .get, headers: [.accept: accept]) { response in
                    XCTAssertEqual(response.headers[.contentType], "image/jpeg", accept)
                    let jpeg = try JPEGCodec.decode(Data(response.bytes), name: "rendered")
                    XCTAssertEqual([jpeg.width, jpeg.height], [decoded.width, decoded.height], accept)
                    let difference = zip(jpeg.pixels, decoded.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / decoded.pixels.count
                    XCTAssertLessThan(difference, 8, "mean difference of a quality-90 JPEG, \(accept)")
                }
            }
            try await client.execute(uri: path, method: .get, headers: [.accept: "image/png;q=0.9, image/jpeg;q=0.2"]) { response in
                XCTAssertEqual(response.headers[.contentType], "image/png")
            }
        }
    }
}

/// The body of a multipart response, read with Multipart's parser.
func multipartParts(_ response: TestResponse) throws -> [MultipartPart] {
    let contentType = try XCTUnwrap(response.headers[.contentType])
    XCTAssertTrue(contentType.hasPrefix("multipart/related"), contentType)
    XCTAssertTrue(contentType.contains("type=\"application/dicom\""), contentType)
    return try MultipartParser.parse(response.bytes, contentType: contentType)
}

@testable import DICOMweb
import Foundation
import HTTPTypes
import HummingbirdTesting
import Imaging
import Multipart
import XCTest

/// WADO-RS frames and bulk data (PS3.18 10.4.1.1.4–5): uncompressed frames as
/// multipart/related octet-stream parts, the metadata's Pixel Data BulkDataURI, rendered frames,
/// and the 400, 404 and 406 answers.
final class WadoFramesTests: XCTestCase {
    static let octetStream = "multipart/related; type=\"application/octet-stream\""
    static let partType = "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"

    func testFramesAreTheUncompressedPixelsInTheOrderAsked() async throws {
        try await withDICOMweb { _, client in
            let instance = TestInstance()
            try await store([instance.bytes], client)
            let path = Self.path(instance)
            for accept in [nil, Self.octetStream, Self.octetStream + "; transfer-syntax=1.2.840.10008.1.2.1",
                           Self.octetStream + "; transfer-syntax=*", "multipart/related", "*/*",
                           "image/jpeg;q=0.5, " + Self.octetStream] {
                let headers: HTTPFields = accept.map { [.accept: $0] } ?? [:]
                try await client.execute(uri: path + "/frames/1", method: .get, headers: headers) { response in
                    XCTAssertEqual(response.status, .ok, accept ?? "no Accept")
                    let parts = try octetStreamParts(response)
                    XCTAssertEqual(parts.map(\.body), [instance.pixels], accept ?? "no Accept")
                    XCTAssertEqual(parts.first?.contentType, Self.partType)
                }
            }
            try await client.execute(uri: path + "/frames/1,1", method: .get) { response in
                XCTAssertEqual(try octetStreamParts(response).map(\.body), [instance.pixels, instance.pixels])
            }
            // A single part asked for as such comes bare.
            try await client.execute(uri: path + "/frames/1", method: .get, headers: [.accept: "application/octet-stream"]) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], Self.partType)
                XCTAssertEqual(response.bytes, instance.pixels)
            }
        }
    }

    func testCompressedInstancesAreDecodedFrameByFrame() async throws {
        try await withDICOMweb { fixture, client in
            let bytes = try DecoderFixtures.bytes("rle-two-frames.dcm")
            try await store([bytes], client)
            let file = try DICOMFile(Data(bytes), name: "rle-two-frames.dcm")
            let native = try DICOMFile(Data(try DecoderFixtures.bytes("two-frames.dcm")), name: "two-frames.dcm")
            let stored = try XCTUnwrap(try fixture.database.storedDICOMInstance(uid: XCTUnwrap(file.metadata.sopInstanceUID)))
            let path = "/dicom-web/studies/\(stored.studyUID)/series/\(stored.seriesUID)/instances/\(stored.sopInstanceUID)"
            try await client.execute(uri: path + "/frames/2,1", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(try octetStreamParts(response).map(\.body), [try native.nativeFrame(2), try native.nativeFrame(1)],
                               "RLE decoded to the native fixture's frames")
            }
            try await client.execute(uri: path + "/frames/3", method: .get) { response in
                XCTAssertEqual(response.status, .notFound)
                XCTAssertEqual(response.errorMessage, "instance \(stored.sopInstanceUID) has 2 frames, no frame 3")
            }
            // The compressed syntax itself is not sent (no transcoding to it).
            let rle = Self.octetStream + "; transfer-syntax=1.2.840.10008.1.2.5"
            for accept in [rle, "image/jpeg", "multipart/related; type=\"image/jls\"", "multipart/related; type=\"application/dicom\""] {
                try await client.execute(uri: path + "/frames/1", method: .get, headers: [.accept: accept]) { response in
                    XCTAssertEqual(response.status, .notAcceptable, accept)
                    XCTAssertTrue(response.errorMessage?.contains("transfer-syntax=1.2.840.10008.1.2.1") ?? false, "\(accept)")
                }
            }
            try await client.execute(uri: path + "/frames/2/rendered", method: .get, headers: [.accept: "image/png"]) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "image/png")
                let image = try PNGCodec.decode(Data(response.bytes), name: "frame 2")
                XCTAssertEqual(image.pixels, try native.image(frame: 2).pixels, "frame 2 rendered, not frame 1")
            }
        }
    }

    func testMalformedFrameListsAndMissingInstances() async throws {
        try await withDICOMweb { fixture, client in
            let instance = TestInstance()
            try await store([instance.bytes], client)
            let path = Self.path(instance)
            let report = try XCTUnwrap(try fixture.database.storedDICOMInstances(study: instance.studyUID)
                .first { $0.sopClassUID == "1.2.840.10008.5.1.4.1.1.88.33" })
            let reportPath = "/dicom-web/studies/\(report.studyUID)/series/\(report.seriesUID)/instances/\(report.sopInstanceUID)"
            for resource in ["/frames/1", "/bulkdata/7FE00010", "/frames/1/rendered"] {
                try await client.execute(uri: reportPath + resource, method: .get) { response in
                    XCTAssertEqual(response.status, .notFound, resource)
                    XCTAssertEqual(response.errorMessage, "instance \(report.sopInstanceUID) has no pixel data, so no frames", resource)
                }
            }
            for list in ["0", "a", "1,,2", "-1", "1.5", "1%20", "99999999999"] {
                try await client.execute(uri: path + "/frames/\(list)", method: .get) { response in
                    XCTAssertEqual(response.status, .badRequest, list)
                    XCTAssertTrue(response.errorMessage?.hasPrefix("the frame list") ?? false, "\(list): \(response.errorMessage ?? "")")
                }
            }
            try await client.execute(uri: path + "/frames/2", method: .get) { XCTAssertEqual($0.status, .notFound) }
            try await client.execute(uri: path + "/frames/1,2/rendered", method: .get) { XCTAssertEqual($0.status, .badRequest) }
            let missing = "/dicom-web/studies/\(instance.studyUID)/series/\(instance.seriesUID)/instances/2.25.9"
            try await client.execute(uri: missing + "/frames/1", method: .get) { XCTAssertEqual($0.status, .notFound) }
            try await client.execute(uri: missing + "/bulkdata/7FE00010", method: .get) { XCTAssertEqual($0.status, .notFound) }
            try await client.execute(uri: path + "/frames/1,1", method: .get, headers: [.accept: "application/octet-stream"]) {
                XCTAssertEqual($0.status, .notAcceptable, "two frames cannot go as one bare body")
            }
        }
    }

    func testMetadataNamesThePixelDataBulkDataThatIsServed() async throws {
        try await withDICOMweb { _, client in
            let instance = TestInstance()
            try await store([instance.bytes], client)
            let path = Self.path(instance)
            var uri = ""
            try await client.execute(uri: path + "/metadata", method: .get) { response in
                let dataSet = try XCTUnwrap(try response.dataSets().first)
                let pixelData = try XCTUnwrap(dataSet["7FE00010"] as? [String: Any])
                XCTAssertEqual(pixelData["vr"] as? String, "OB")
                XCTAssertNil(pixelData["Value"])
                XCTAssertNil(pixelData["InlineBinary"])
                uri = try XCTUnwrap(pixelData["BulkDataURI"] as? String)
            }
            XCTAssertTrue(uri.hasSuffix(path + "/bulkdata/7FE00010"), uri)
            let local = try XCTUnwrap(uri.range(of: "/dicom-web/")).lowerBound
            try await client.execute(uri: String(uri[local...]), method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(try octetStreamParts(response).map(\.body), [instance.pixels])
            }
            try await client.execute(uri: path + "/bulkdata/00100010", method: .get) { response in
                XCTAssertEqual(response.status, .notFound)
                XCTAssertFalse(String(decoding: response.bytes, as: UTF8.self).contains("Doe"))
            }
        }
    }

    func testURLsNameTheListeningPortWhenTheHostHeaderDoesNot() async throws {
        // dicomweb-client sends "Host: 127.0.0.1" without the port it connected to.
        try await withDICOMweb(listeningPort: ListeningPort(4242)) { _, client in
            let instance = TestInstance()
            try await store([instance.bytes], client)
            try await client.execute(uri: Self.path(instance) + "/metadata", method: .get) { response in
                let pixelData = try XCTUnwrap(try response.dataSets().first?["7FE00010"] as? [String: Any])
                XCTAssertEqual(pixelData["BulkDataURI"] as? String, "http://localhost:4242" + Self.path(instance) + "/bulkdata/7FE00010")
            }
            try await client.execute(uri: "/dicom-web/studies", method: .get) { response in
                XCTAssertEqual(string(try response.dataSets()[0], "00081190"), "http://localhost:4242/dicom-web/studies/\(instance.studyUID)")
            }
        }
    }

    static func path(_ instance: TestInstance) -> String {
        "/dicom-web/studies/\(instance.studyUID)/series/\(instance.seriesUID)/instances/\(instance.sopInstanceUID)"
    }
}

/// Stores `instances` in one STOW-RS request, which must succeed.
func store(_ instances: [[UInt8]], _ client: any TestClientProtocol, file: StaticString = #filePath, line: UInt = #line) async throws {
    let (body, headers) = try StowBody.make(instances)
    try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body) { response in
        XCTAssertEqual(response.status, .ok, String(decoding: response.bytes, as: UTF8.self), file: file, line: line)
    }
}

/// The parts of a `multipart/related; type="application/octet-stream"` response.
func octetStreamParts(_ response: TestResponse) throws -> [MultipartPart] {
    let contentType = try XCTUnwrap(response.headers[.contentType])
    XCTAssertTrue(contentType.hasPrefix("multipart/related"), contentType)
    XCTAssertTrue(contentType.contains("type=\"application/octet-stream\""), contentType)
    return try MultipartParser.parse(response.bytes, contentType: contentType)
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Multipart
import Store
import XCTest

/// Requests the service refuses as a whole: each gets its status and a JSON error naming the
/// problem, and leaves the database and the data directory exactly as they were.
final class BadRequestTests: XCTestCase {
    func testMalformedStoreRequestsStoreNothing() async throws {
        let instance = TestInstance().bytes
        let (good, goodHeaders) = try StowBody.make([instance])
        let goodBytes = Array(good.readableBytesView)
        let boundary = StowBody.boundary
        let cases: [(String, String, HTTPFields, [UInt8], HTTPResponse.Status, String)] = [
            ("JSON body", "/dicom-web/studies", [.contentType: "application/json"], Array("{}".utf8), .unsupportedMediaType,
             "STOW-RS takes multipart/related"),
            ("no Content-Type", "/dicom-web/studies", [:], goodBytes, .unsupportedMediaType, "a body without Content-Type"),
            ("a single DICOM body", "/dicom-web/studies", [.contentType: "application/dicom"], instance, .unsupportedMediaType,
             "STOW-RS takes multipart/related"),
            ("metadata and bulk data", "/dicom-web/studies",
             [.contentType: "multipart/related; type=\"application/dicom+json\"; boundary=\(boundary)"], goodBytes,
             .unsupportedMediaType, "STOW-RS takes multipart/related"),
            ("a PNG part", "/dicom-web/studies", goodHeaders,
             Array(try StowBody.make([instance], partType: "image/png").0.readableBytesView), .unsupportedMediaType,
             "multipart part 1 is image/png"),
            ("missing boundary", "/dicom-web/studies", [.contentType: "multipart/related; type=\"application/dicom\""], goodBytes,
             .badRequest, "has no boundary parameter"),
            ("wrong boundary", "/dicom-web/studies", [.contentType: "multipart/related; type=\"application/dicom\"; boundary=other"],
             goodBytes, .badRequest, "truncated"),
            ("truncated multipart", "/dicom-web/studies", goodHeaders, Array(goodBytes.prefix(goodBytes.count - 40)), .badRequest,
             "multipart body is truncated"),
            ("no parts", "/dicom-web/studies", goodHeaders, Array("--\(boundary)--\r\n".utf8), .badRequest, "holds no instances"),
            ("a non-UID study", "/dicom-web/studies/1.2.abc", goodHeaders, goodBytes, .badRequest, "is not a DICOM UID"),
            ("a path in the study", "/dicom-web/studies/..%2F..%2Fetc", goodHeaders, goodBytes, .badRequest, "is not a DICOM UID"),
        ]
        try await withDICOMweb { fixture, client in
            for (label, uri, headers, body, status, message) in cases {
                try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
                    XCTAssertEqual(response.status, status, label)
                    XCTAssertTrue(response.errorMessage?.contains(message) ?? false, "\(label): \(response.errorMessage ?? "no error")")
                }
                XCTAssertEqual(try fixture.counts().all, [0, 0, 0, 0, 0], label)
                XCTAssertEqual(try fixture.files(), [], label)
            }
        }
    }

    /// A body over the limit gets 413 as soon as its Content-Length says so, and stores nothing.
    func testABodyOverTheLimitGets413() async throws {
        try await withDICOMweb(maximumBodyBytes: 4096) { fixture, client in
            var big = TestInstance()
            big.width = 128
            big.height = 128
            let (body, headers) = try StowBody.make([big.bytes])
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body) { response in
                XCTAssertEqual(response.status, .contentTooLarge)
                XCTAssertTrue(response.errorMessage?.contains("exceeds the limit of 4096 bytes") ?? false, response.errorMessage ?? "")
            }
            XCTAssertEqual(try fixture.counts().instances, 0)
            XCTAssertEqual(try fixture.files(), [])
        }
    }

    /// Searches and retrievals with a non-UID in the path get 400; unknown UIDs 404; Accept
    /// headers the service cannot meet 406; malformed query values 400.
    func testBadSearchesAndRetrievals() async throws {
        try await withDICOMweb { fixture, client in
            let instance = TestInstance()
            let (body, headers) = try StowBody.make([instance.bytes])
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body) { XCTAssertEqual($0.status, .ok) }
            let counts = try fixture.counts(), files = try fixture.files()
            let instancePath = "/dicom-web/studies/\(instance.studyUID)/series/\(instance.seriesUID)/instances/\(instance.sopInstanceUID)"
            let cases: [(String, String, HTTPFields, HTTPResponse.Status, String)] = [
                ("non-UID study", "/dicom-web/studies/abc/series", [:], .badRequest, "is not a DICOM UID"),
                ("leading zero", "/dicom-web/studies/1.02.3/metadata", [:], .badRequest, "leading zero"),
                ("non-UID instance", "/dicom-web/studies/\(instance.studyUID)/series/\(instance.seriesUID)/instances/x.y",
                 [:], .badRequest, "is not a DICOM UID"),
                ("unknown study", "/dicom-web/studies/2.25.1", [:], .notFound, "no study 2.25.1"),
                ("unknown series", "/dicom-web/studies/\(instance.studyUID)/series/2.25.1/metadata", [:], .notFound, "no series 2.25.1"),
                ("unknown instance", "/dicom-web/studies/\(instance.studyUID)/series/\(instance.seriesUID)/instances/2.25.1", [:],
                 .notFound, "no instance 2.25.1"),
                ("instance in another study", "/dicom-web/studies/2.25.1/series/\(instance.seriesUID)/instances/\(instance.sopInstanceUID)",
                 [:], .notFound, "no instance"),
                ("XML search", "/dicom-web/studies", [.accept: "application/dicom+xml"], .notAcceptable, "application/dicom+json"),
                ("GIF rendered", instancePath + "/rendered", [.accept: "image/gif"], .notAcceptable, "image/jpeg or image/png"),
                ("another transfer syntax", instancePath,
                 [.accept: "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50"],
                 .notAcceptable, "transfer syntax 1.2.840.10008.1.2.1"),
                ("JSON for an instance", instancePath, [.accept: "application/json"], .notAcceptable, "sent as stored"),
                ("malformed Accept", "/dicom-web/studies", [.accept: "dicom json"], .badRequest, "is not a media range"),
                ("bad date", "/dicom-web/studies?StudyDate=2020-01-01", [:], .badRequest, "is not a date YYYYMMDD"),
                ("three-part range", "/dicom-web/studies?StudyDate=20200101-20200102-20200103", [:], .badRequest, "or a range A-B"),
                ("bad time", "/dicom-web/studies?StudyTime=9:30", [:], .badRequest, "is not a time HHMMSS"),
                ("bad limit", "/dicom-web/studies?limit=-1", [:], .badRequest, "limit \"-1\" is not a count"),
                ("unknown key", "/dicom-web/studies?PatientsFavouriteColour=red", [:], .badRequest, "neither an attribute keyword nor a tag"),
                ("bad include field", "/dicom-web/studies?includefield=Nonsense", [:], .badRequest, "includefield \"Nonsense\""),
                ("bad UID list", "/dicom-web/studies?StudyInstanceUID=1.2,x", [:], .badRequest, "StudyInstanceUID"),
                ("bad series number", "/dicom-web/studies/\(instance.studyUID)/series?SeriesNumber=three", [:], .badRequest,
                 "is not an integer"),
                ("fuzzy maybe", "/dicom-web/studies?fuzzymatching=maybe", [:], .badRequest, "fuzzymatching must be true or false"),
            ]
            for (label, uri, headers, status, message) in cases {
                try await client.execute(uri: uri, method: .get, headers: headers) { response in
                    XCTAssertEqual(response.status, status, label)
                    XCTAssertTrue(response.errorMessage?.contains(message) ?? false, "\(label): \(response.errorMessage ?? "no error")")
                }
            }
            XCTAssertEqual(try fixture.counts(), counts)
            XCTAssertEqual(try fixture.files(), files)
        }
    }

    /// With a token, DICOMweb needs it like every other endpoint.
    func testTheBearerTokenGuardsDICOMweb() async throws {
        try await withDICOMweb(token: "secret-token") { fixture, client in
            let (body, headers) = try StowBody.make([TestInstance().bytes])
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers, body: body) { response in
                XCTAssertEqual(response.status, .unauthorized)
            }
            try await client.execute(uri: "/dicom-web/studies", method: .get) { XCTAssertEqual($0.status, .unauthorized) }
            XCTAssertEqual(try fixture.counts().instances, 0)
            var authorized = headers
            authorized[.authorization] = "Bearer secret-token"
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: authorized, body: body) {
                XCTAssertEqual($0.status, .ok)
            }
        }
    }
}

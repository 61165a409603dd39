import DICOMwebClient
import Logging
import Multipart
import XCTest

/// The STOW-RS client and the result forwarder against a fixture server: one multipart request
/// of application/dicom parts, bounded retries of transient failures only, partial stores, and
/// logs that name SOP Instance UIDs.
final class STOWClientTests: XCTestCase {
    static let instances = [
        ForwardedInstance(sopInstanceUID: "1.2.826.0.1.3680043.10.1", bytes: Array(repeating: 0, count: 128) + Array("DICM-one".utf8)),
        ForwardedInstance(sopInstanceUID: "1.2.826.0.1.3680043.10.2", bytes: Array(repeating: 0, count: 128) + Array("DICM-two".utf8)),
    ]
    static let quick = ForwardingPolicy(attempts: 3, firstDelay: .milliseconds(20))

    static func forwarder(_ base: String, policy: ForwardingPolicy = quick, log: RecordingLogHandler = RecordingLogHandler()) throws -> ResultForwarder {
        // A short timeout: AsyncHTTPClient tries a refused connection again until the request's deadline.
        ResultForwarder(client: try STOWClient(baseURL: base, timeout: .seconds(2)), policy: policy, logger: Logger(label: "test") { _ in log })
    }

    func testStoresInstancesInOneMultipartRequest() async throws {
        let server = FixtureSTOWServer()
        try await server.run { base in
            let result = try await Self.forwarder(base).forward(Self.instances)
            XCTAssertEqual(result, ForwardResult(stored: Self.instances.map(\.sopInstanceUID), failed: [], attempts: 1))
        }
        let received = await server.received
        XCTAssertEqual(received.count, 1)
        let mediaType = try MediaType(parsing: received[0].contentType)
        XCTAssertEqual(mediaType.essence, "multipart/related")
        XCTAssertEqual(mediaType.parameters["type"], "application/dicom")
        XCTAssertEqual(received[0].parts.map(\.body), Self.instances.map(\.bytes))
        XCTAssertEqual(received[0].parts.map(\.contentType), ["application/dicom", "application/dicom"])
    }

    func testTransientFailuresAreTriedAgain() async throws {
        let server = FixtureSTOWServer(statuses: [503, 429])
        try await server.run { base in
            let result = try await Self.forwarder(base).forward(Self.instances)
            XCTAssertEqual(result.attempts, 3)
            XCTAssertEqual(result.stored, Self.instances.map(\.sopInstanceUID))
        }
        let received = await server.received
        XCTAssertEqual(received.count, 3)
        XCTAssertTrue(received.allSatisfy { $0.parts.map(\.body) == Self.instances.map(\.bytes) }, "every try sends the same instances")
    }

    func testTriesAreBoundedAndTheGiveUpNamesEachInstance() async throws {
        let server = FixtureSTOWServer(statuses: [500, 502, 503, 504])
        let log = RecordingLogHandler()
        try await server.run { base in
            let result = try await Self.forwarder(base, log: log).forward(Self.instances)
            XCTAssertEqual(result, ForwardResult(stored: [], failed: Self.instances.map(\.sopInstanceUID), attempts: 3))
        }
        let received = await server.received.count
        XCTAssertEqual(received, 3)
        let errors = log.entries.filter { $0.level == .error }
        XCTAssertEqual(errors.compactMap { $0.metadata["sop"] }, Self.instances.map(\.sopInstanceUID))
        XCTAssertTrue(errors.allSatisfy { $0.metadata["error"]?.contains("HTTP 503") ?? false }, "\(errors)")
    }

    func testPermanentFailuresAreNotTriedAgain() async throws {
        for status in [400, 401, 409, 415] {
            let server = FixtureSTOWServer(statuses: [status])
            try await server.run { base in
                let result = try await Self.forwarder(base).forward(Self.instances)
                XCTAssertEqual(result.attempts, 1, "HTTP \(status)")
                XCTAssertEqual(result.failed, Self.instances.map(\.sopInstanceUID))
            }
            let received = await server.received.count
            XCTAssertEqual(received, 1, "HTTP \(status)")
        }
    }

    func testPartialStoreNamesTheInstancesNotTaken() async throws {
        let server = FixtureSTOWServer(statuses: [202], failing: [Self.instances[1].sopInstanceUID])
        let log = RecordingLogHandler()
        try await server.run { base in
            let result = try await Self.forwarder(base, log: log).forward(Self.instances)
            XCTAssertEqual(result, ForwardResult(stored: [Self.instances[0].sopInstanceUID],
                                                 failed: [Self.instances[1].sopInstanceUID], attempts: 1))
        }
        XCTAssertEqual(log.entries.filter { $0.level == .warning }.compactMap { $0.metadata["sop"] }, [Self.instances[1].sopInstanceUID])
    }

    func testNoAnswerIsTransient() async throws {
        // Port 1 (tcpmux): nothing listens there on a test machine, so the connection is refused.
        let base = "http://127.0.0.1:1/dicom-web"
        let result = try await Self.forwarder(base, policy: ForwardingPolicy(attempts: 2, firstDelay: .milliseconds(10))).forward(Self.instances)
        XCTAssertEqual(result, ForwardResult(stored: [], failed: Self.instances.map(\.sopInstanceUID), attempts: 2))
    }

    func testSubmittedForwardsFinishBeforeDrainReturns() async throws {
        let server = FixtureSTOWServer(statuses: [503])
        try await server.run { base in
            let forwarder = try Self.forwarder(base)
            await forwarder.submit(Self.instances)
            await forwarder.submit([Self.instances[0]])
            await forwarder.submit([])
            await forwarder.drain()
        }
        let received = await server.received
        XCTAssertEqual(received.count, 3, "two forwards, the first tried twice; an empty one sends nothing")
    }

    func testBaseURLs() throws {
        XCTAssertEqual(try STOWClient(baseURL: "http://pacs:8042/dicom-web/").studiesURL, "http://pacs:8042/dicom-web/studies")
        XCTAssertEqual(try STOWClient(baseURL: "https://pacs.example.org/dicom-web").studiesURL,
                       "https://pacs.example.org/dicom-web/studies")
        for bad in ["ftp://pacs/dicom-web", "pacs:8042/dicom-web", "http:///dicom-web", "http://pacs/dicom-web?x=1", ""] {
            XCTAssertThrowsError(try STOWClient(baseURL: bad), bad) { error in
                XCTAssertTrue("\(error)".contains("is not the http(s) URL of a DICOMweb service"), "\(error)")
            }
        }
    }
}

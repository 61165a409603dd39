import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Multipart

/// A STOW-RS fixture server for the client's tests: `POST /dicom-web/studies` parses the
/// multipart body with Multipart's parser, records its parts, and answers the next of the
/// scripted statuses (200 once they run out), with a Store Instances Response whose Failed SOP
/// Sequence lists `failing` instances.
actor FixtureSTOWServer {
    struct Received: Sendable {
        var contentType: String
        var parts: [MultipartPart]
    }

    private(set) var received: [Received] = []
    private var statuses: [Int]
    let failing: [String]

    init(statuses: [Int] = [], failing: [String] = []) {
        self.statuses = statuses
        self.failing = failing
    }

    func record(_ request: Received) -> Int {
        received.append(request)
        return statuses.isEmpty ? 200 : statuses.removeFirst()
    }

    /// Runs `test` with the base URL of this server, listening on a free loopback port.
    nonisolated func run(_ test: @escaping @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        router.post("/dicom-web/studies") { request, _ -> Response in
            let contentType = request.headers[.contentType] ?? ""
            let body = try await request.body.collect(upTo: 64 << 20)
            var parser = try MultipartParser(contentType: contentType)
            let parts = try parser.append(body.readableBytesView) + parser.finish()
            let status = await self.record(Received(contentType: contentType, parts: parts))
            let items = self.failing.map { #"{"00081155": {"vr": "UI", "Value": ["\#($0)"]}, "00081197": {"vr": "US", "Value": [272]}}"# }
            let json = items.isEmpty ? "{}" : #"{"00081198": {"vr": "SQ", "Value": [\#(items.joined(separator: ","))]}}"#
            return Response(status: .init(code: status), headers: [.contentType: "application/dicom+json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
        }
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await application.test(.live) { client in
            try await test("http://127.0.0.1:\(client.port ?? 0)/dicom-web")
        }
    }
}

/// A log handler that keeps every message with its metadata, to check what logs name.
final class RecordingLogHandler: LogHandler, @unchecked Sendable {
    // @unchecked Sendable: `stored` is only touched under `lock`; `metadata` and `logLevel` keep
    // their initial values (the forwarder's logger only reads them).
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    let lock = NSLock()
    private var stored: [Entry] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var entries: [Entry] { lock.withLock { stored } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
             function: String, line: UInt) {
        let entry = Entry(level: level, message: "\(message)",
                          metadata: (metadata ?? [:]).mapValues { "\($0)" })
        lock.withLock { stored.append(entry) }
    }
}

import DICOMResults
import DICOMweb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Multipart
import Pipeline
import Service
import Store
import TestSupport
import XCTest

/// The bundled model as the tests' predictor, loaded once.
enum BundledModel {
    static let predictor: Result<ChestModelPredictor, any Error> = Result {
        try ChestModelPredictor(directory: ModelDirectory.resolve(ModelDirectory.defaultName))
    }

    static func load() throws -> ChestModelPredictor { try predictor.get() }
}

/// A temporary database and data directory behind the DICOMweb routes on a real Hummingbird
/// application (through HummingbirdTesting's router client: no sockets), and what was logged.
struct DICOMwebFixture: Sendable {
    let directory: URL
    let database: ThoraxDatabase
    let dataDirectory: URL
    let logs: LogStore

    var instancesDirectory: URL { dataDirectory.appendingPathComponent("instances") }

    /// Every file under the data directory, by path relative to it, sorted.
    func files() throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: dataDirectory.path) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { path in
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent(path).path, isDirectory: &isDirectory)
            return exists && !isDirectory.boolValue
        }.sorted()
    }

    func counts() throws -> DICOMStoreCounts { try database.dicomStoreCounts() }
}

extension DICOMStoreCounts {
    /// Patients, studies, series, instances, images.
    var all: [Int] { [patients, studies, series, instances, images] }
}

/// Runs `body` with the DICOMweb routes registered on the service's router (request log, error
/// bodies, bearer token when `token` is given) over a fresh database and data directory. Stored
/// images are predicted by `predictor` (the bundled model's `ChestModelPredictor` by default);
/// the service's own endpoints serve the models of `repository`.
func withDICOMweb(token: String? = nil, maximumBodyBytes: Int = 64 << 20, maximumSearchResults: Int = 1000,
                  predictor: (any InstancePredictor)? = nil, repository: ModelRepository = ModelRepository(),
                  metrics: ServiceMetrics = ServiceMetrics(), listeningPort: ListeningPort? = nil,
                  _ body: @Sendable (DICOMwebFixture, any TestClientProtocol) async throws -> Void) async throws {
    let directory = try SharedData.temporaryDirectory("thorax-dicomweb")
    defer { try? FileManager.default.removeItem(at: directory) }
    let logs = LogStore()
    var logger = Logger(label: "thorax.dicomweb.tests") { _ in CapturingLogHandler(store: logs) }
    logger.logLevel = .debug
    let fixture = DICOMwebFixture(directory: directory,
                                  database: try ThoraxDatabase(path: directory.appendingPathComponent("thorax.sqlite").path),
                                  dataDirectory: directory.appendingPathComponent("data"), logs: logs)
    let options = ServiceOptions(serverVersion: "test", bearerToken: token, maximumBodyBytes: maximumBodyBytes)
    let router = InferenceService(repository: repository, options: options, logger: logger, metrics: metrics).router()
    try DICOMwebRoutes.register(on: router, database: fixture.database, predictor: try predictor ?? BundledModel.load(),
                                options: DICOMwebOptions(dataDirectory: fixture.dataDirectory, listeningPort: listeningPort,
                                                         maximumBodyBytes: maximumBodyBytes,
                                                         maximumSearchResults: maximumSearchResults),
                                logger: logger)
    try await Application(router: router, logger: logger).test(.router) { client in try await body(fixture, client) }
}

/// Log lines as a handler saw them: level, message and metadata, rendered as text.
final class LogStore: @unchecked Sendable {
    // @unchecked Sendable: `lines` is only touched under `lock`.
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) {
        lock.lock()
        lines.append(line)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }
}

struct CapturingLogHandler: LogHandler {
    let store: LogStore
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let error = event.error.map { " error=\($0)" } ?? ""
        store.append("\(event.level) \(event.message) " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            .joined(separator: " ") + error)
    }
}

/// STOW-RS request bodies.
enum StowBody {
    static let boundary = "dicomweb-test-boundary-7d1f"

    /// `multipart/related; type="application/dicom"` with one part per instance.
    static func make(_ instances: [[UInt8]], partType: String? = "application/dicom") throws -> (ByteBuffer, HTTPFields) {
        let writer = try MultipartWriter(boundary: boundary)
        let parts = instances.map { bytes in
            partType.map { MultipartPart(contentType: $0, body: bytes) } ?? MultipartPart(body: bytes)
        }
        return (ByteBuffer(bytes: try writer.encode(parts)), [.contentType: writer.contentType(type: "application/dicom")])
    }
}

extension TestResponse {
    var bytes: [UInt8] { Array(body.readableBytesView) }

    /// The body as DICOM JSON: one data set or an array of them.
    func dataSets(file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        let value = try JSONSerialization.jsonObject(with: Data(bytes))
        if let array = value as? [[String: Any]] { return array }
        if let object = value as? [String: Any] { return [object] }
        XCTFail("not DICOM JSON: \(String(decoding: bytes, as: UTF8.self))", file: file, line: line)
        return []
    }

    var errorMessage: String? {
        ((try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any])?["error"] as? String
    }
}

/// A DICOM JSON attribute's values.
func values(_ dataSet: [String: Any], _ tag: String) -> [Any] {
    ((dataSet[tag] as? [String: Any])?["Value"] as? [Any]) ?? []
}

/// A DICOM JSON attribute's numeric values.
func numbers(_ dataSet: [String: Any], _ tag: String) -> [Double] {
    values(dataSet, tag).compactMap { ($0 as? NSNumber)?.doubleValue }
}

func string(_ dataSet: [String: Any], _ tag: String) -> String? { values(dataSet, tag).first as? String }

func integer(_ dataSet: [String: Any], _ tag: String) -> Int? { (values(dataSet, tag).first as? NSNumber)?.intValue }

func items(_ dataSet: [String: Any], _ tag: String) -> [[String: Any]] { values(dataSet, tag).compactMap { $0 as? [String: Any] } }

func personName(_ dataSet: [String: Any], _ tag: String) -> String? {
    (values(dataSet, tag).first as? [String: Any])?["Alphabetic"] as? String
}

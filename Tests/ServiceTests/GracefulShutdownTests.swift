import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Logging
import Service
import ServiceFixtures
import ServiceLifecycle
import XCTest

/// Graceful shutdown over a real socket: a request in flight when shutdown begins is answered,
/// then the service group ends (what `thorax serve` does on SIGTERM).
final class GracefulShutdownTests: XCTestCase {
    /// The fake model, answering after `delay`.
    struct SlowModel: InferenceModel {
        var fake = FakeModel()
        var delay: Duration
        var name: String { fake.name }
        var version: String { fake.version }
        var classes: [String] { fake.classes }
        var inputShape: [Int] { fake.inputShape }
        var heatmapSize: Int { fake.heatmapSize }
        var maximumBatchSize: Int { fake.maximumBatchSize }
        func infer(images: [EncodedImage], heatmaps: Bool) async throws -> [ModelOutput] {
            try await Task.sleep(for: delay)
            return try await fake.infer(images: images, heatmaps: heatmaps)
        }
        func infer(tensor: [Float], shape: [Int], heatmaps: Bool) async throws -> [ModelOutput] {
            try await Task.sleep(for: delay)
            return try await fake.infer(tensor: tensor, shape: shape, heatmaps: heatmaps)
        }
    }

    /// The port the server bound, once it has.
    actor Port {
        var value: Int?
        func set(_ port: Int) { value = port }
    }

    func testARequestInFlightIsAnsweredBeforeTheServiceStops() async throws {
        let repository = ModelRepository()
        await repository.finishLoading(SlowModel(delay: .milliseconds(800)))
        var logger = Logger(label: "thorax.service.tests")
        logger.logLevel = .critical
        let service = InferenceService(repository: repository, options: ServiceOptions(serverVersion: "1"), logger: logger)
        let port = Port()
        let application = service.application(host: "127.0.0.1", port: 0) { await port.set($0) }
        let group = ServiceGroup(configuration: .init(services: [application], logger: logger))
        let running = Task { try await group.run() }
        var bound: Int?
        for _ in 0..<200 where bound == nil {
            try await Task.sleep(for: .milliseconds(10))
            bound = await port.value
        }
        let address = try XCTUnwrap(bound, "the server did not bind")

        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(address)/v2/models/default/infer")!)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: [
            "inputs": [["name": "tensor", "shape": [1, 3, 4, 4], "datatype": "FP32", "data": [Float](repeating: 0.25, count: 48)]],
        ])
        let inFlight = Task { try await URLSession.shared.data(for: request) }
        try await Task.sleep(for: .milliseconds(300))  // the request is being answered (the model takes 800 ms)
        let stopping = ContinuousClock.now
        await group.triggerGracefulShutdown()
        let (data, response) = try await inFlight.value
        XCTAssertEqual((response as? HTTPURLResponse)?.statusCode, 200)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual((json["outputs"] as? [[String: Any]])?.first?["name"] as? String, "probabilities")
        try await running.value
        XCTAssertLessThan(ContinuousClock.now - stopping, .seconds(10), "the group ends once the request is answered")
    }
}

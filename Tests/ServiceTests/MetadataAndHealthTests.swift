import Foundation
import HTTPTypes
import HummingbirdTesting
import Service
import ServiceFixtures
import XCTest

final class MetadataAndHealthTests: XCTestCase {
    func testServerMetadata() async throws {
        try await withService { _, client in
            try await client.execute(uri: "/v2", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "application/json")
                let json = try response.json()
                XCTAssertEqual(json["name"] as? String, "thorax")
                XCTAssertEqual(json["version"] as? String, "0.9.0")
                XCTAssertEqual(json["extensions"] as? [String], ["binary_tensor_data", "classification"])
            }
        }
    }

    /// Live at once; ready (server and model) only once the model has loaded; a model that
    /// is loading answers its metadata and inference with 503 and an error.
    func testReadinessFollowsLoading() async throws {
        try await withService(loaded: false) { repository, client in
            try await client.execute(uri: "/v2/health/live", method: .get) { XCTAssertEqual($0.status, .ok) }
            try await client.execute(uri: "/v2/health/ready", method: .get) { XCTAssertEqual($0.status, .badRequest) }
            await repository.markLoading("default")
            try await client.execute(uri: "/v2/health/ready", method: .get) { response in
                XCTAssertEqual(response.status, .badRequest)
                XCTAssertEqual(response.bytes, [], "health answers carry no body")
            }
            try await client.execute(uri: "/v2/models/default/ready", method: .get) { XCTAssertEqual($0.status, .badRequest) }
            try await client.execute(uri: "/v2/models/default", method: .get) { response in
                XCTAssertEqual(response.status, .serviceUnavailable)
                XCTAssertEqual(response.errorMessage, "model \"default\" is not ready: it is still loading")
            }
            try await client.execute(uri: "/v2/models/default/infer", method: .post, body: Bodies.json([:])) {
                XCTAssertEqual($0.status, .serviceUnavailable)
            }
            await repository.finishLoading(FakeModel())
            try await client.execute(uri: "/v2/health/ready", method: .get) { XCTAssertEqual($0.status, .ok) }
            try await client.execute(uri: "/v2/models/default/ready", method: .get) { XCTAssertEqual($0.status, .ok) }
            try await client.execute(uri: "/v2/models/default/versions/1/ready", method: .get) { XCTAssertEqual($0.status, .ok) }
            try await client.execute(uri: "/v2/models/other/ready", method: .get) { XCTAssertEqual($0.status, .notFound) }
        }
    }

    func testAModelThatFailedToLoadIsNotReady() async throws {
        try await withService(loaded: false) { repository, client in
            await repository.load("broken") { throw InferenceInputError("no weights") }
            for _ in 0..<500 {   // the load runs in a task of its own
                if case .failed? = await repository.state(of: "broken") { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            try await client.execute(uri: "/v2/health/ready", method: .get) { XCTAssertEqual($0.status, .badRequest) }
            try await client.execute(uri: "/v2/models/broken", method: .get) { response in
                XCTAssertEqual(response.status, .serviceUnavailable)
                XCTAssertEqual(response.errorMessage, "model \"broken\" is not ready: loading failed: no weights")
            }
        }
    }

    func testModelMetadataListsInputsAndOutputs() async throws {
        try await withService { _, client in
            for uri in ["/v2/models/default", "/v2/models/default/versions/1"] {
                try await client.execute(uri: uri, method: .get) { response in
                    XCTAssertEqual(response.status, .ok, uri)
                    let json = try response.json()
                    XCTAssertEqual(json["name"] as? String, "default")
                    XCTAssertEqual(json["versions"] as? [String], ["1"])
                    XCTAssertEqual(json["platform"] as? String, "thorax")
                    let inputs = try XCTUnwrap(json["inputs"] as? [[String: Any]])
                    XCTAssertEqual(inputs.map { $0["name"] as? String }, ["tensor", "images"])
                    XCTAssertEqual(inputs.map { $0["datatype"] as? String }, ["FP32", "BYTES"])
                    XCTAssertEqual(inputs.map { $0["shape"] as? [Int] }, [[-1, 3, 4, 4], [-1]])
                    let outputs = try XCTUnwrap(json["outputs"] as? [[String: Any]])
                    XCTAssertEqual(outputs.map { $0["name"] as? String }, ["probabilities", "heatmaps"])
                    XCTAssertEqual(outputs.map { $0["shape"] as? [Int] }, [[-1, 14], [-1, 14, 2, 2]])
                }
            }
        }
    }

    func testUnknownModelsVersionsAndEndpointsGet404WithAnError() async throws {
        try await withService { _, client in
            try await client.execute(uri: "/v2/models/nope", method: .get) { response in
                XCTAssertEqual(response.status, .notFound)
                XCTAssertEqual(response.errorMessage, "unknown model \"nope\"")
            }
            try await client.execute(uri: "/v2/models/default/versions/7", method: .get) { response in
                XCTAssertEqual(response.status, .notFound)
                XCTAssertEqual(response.errorMessage, "model \"default\" has no version \"7\" (it serves version \"1\")")
            }
            try await client.execute(uri: "/v2/models/nope/infer", method: .post, body: Bodies.json([:])) {
                XCTAssertEqual($0.status, .notFound)
            }
            try await client.execute(uri: "/v3", method: .get) { response in
                XCTAssertEqual(response.status, .notFound)
                XCTAssertEqual(response.errorMessage, "no endpoint GET /v3")
            }
            try await client.execute(uri: "/v2/models/default/infer", method: .get) { XCTAssertEqual($0.status, .notFound) }
        }
    }
}

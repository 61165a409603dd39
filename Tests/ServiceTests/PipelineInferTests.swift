import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Pipeline
import Service
import XCTest

/// The Open Inference Protocol on the real bundled model: encoded images and tensors give the
/// library's probabilities, requests that arrive together share a forward pass, and the metrics
/// count it all.
final class PipelineInferTests: XCTestCase {
    func testEncodedImagesAndTensorsGiveTheLibrarysProbabilities() async throws {
        let model = try await BundledModel.served.value
        let files = try BundledModel.sampleFiles(3)
        let library = try BundledModel.libraryPredictions(files, heatmaps: true)
        let images = try files.map { [UInt8](try Data(contentsOf: $0)) }
        try await withModelService(model) { client in
            let request: [String: Any] = [
                "inputs": [["name": "images", "shape": [images.count], "datatype": "BYTES",
                            "parameters": ["binary_data_size": Bodies.elements(images).count]]],
                "outputs": [["name": "probabilities", "parameters": ["binary_data": true]],
                            ["name": "heatmaps", "parameters": ["binary_data": true]]],
            ]
            let (body, headers) = Bodies.binary(request, Bodies.elements(images))
            try await client.execute(uri: "/v2/models/default/infer", method: .post, headers: headers, body: body) { response in
                XCTAssertEqual(response.status, .ok, String(buffer: response.body))
                let values = Bodies.decodeFloats(response.binary)
                let probabilityCount = images.count * 14
                assertClose(Array(values.prefix(probabilityCount)), library.flatMap(\.prediction.probabilities), accuracy: 1e-5)
                let heatmaps = library.flatMap { $0.prediction.heatmaps.flatMap(\.values) }
                XCTAssertEqual(values.count, probabilityCount + images.count * 14 * 16 * 16)
                assertClose(Array(values.dropFirst(probabilityCount)), heatmaps, accuracy: 1e-4)
            }
            // The same images already prepared, as an FP32 tensor.
            let tensor = try ChestModel.prepare(library.map(\.image), for: model.card)
            let tensorRequest: [String: Any] = [
                "inputs": [["name": "tensor", "shape": [files.count, 3, 256, 256], "datatype": "FP32",
                            "parameters": ["binary_data_size": tensor.count * 4]]],
            ]
            let (tensorBody, tensorHeaders) = Bodies.binary(tensorRequest, Bodies.floats(tensor))
            try await client.execute(uri: "/v2/models/default/infer", method: .post, headers: tensorHeaders, body: tensorBody) { response in
                XCTAssertEqual(response.status, .ok)
                let json = try response.json()
                let output = try XCTUnwrap((json["outputs"] as? [[String: Any]])?.first)
                XCTAssertEqual(output["shape"] as? [Int], [files.count, 14])
                assertClose(doubles(output["data"]), library.flatMap(\.prediction.probabilities), accuracy: 1e-5)
            }
        }
    }

    func testAnUndecodableElementIsNamed() async throws {
        let model = try await BundledModel.served.value
        let png = [UInt8](try Data(contentsOf: try BundledModel.sampleFiles(1)[0]))
        try await withModelService(model) { client in
            let request: [String: Any] = [
                "inputs": [["name": "images", "shape": [2], "datatype": "BYTES",
                            "parameters": ["binary_data_size": Bodies.elements([png, Array(png.prefix(100))]).count]]],
            ]
            let (body, headers) = Bodies.binary(request, Bodies.elements([png, Array(png.prefix(100))]))
            try await client.execute(uri: "/v2/models/default/infer", method: .post, headers: headers, body: body) { response in
                XCTAssertEqual(response.status, .badRequest)
                let message = try XCTUnwrap(response.errorMessage)
                XCTAssertTrue(message.hasPrefix("input \"images\" element 2: PNG: "), message)
            }
        }
    }

    /// Four requests sent together with a long queue delay run as one batch of four, and each
    /// gets its own image's answer; /metrics shows the batch, the executions and the requests.
    func testRequestsThatArriveTogetherShareOneForwardPass() async throws {
        let metrics = ServiceMetrics()
        let model = try await PipelineInferenceModel.load(
            name: "default", directory: BundledModel.directory,
            options: ModelServingOptions(batching: BatchingOptions(maximumBatchSize: 4, maximumQueueDelay: .seconds(5))),
            metrics: metrics)
        defer { model.shutdown() }
        let files = try BundledModel.sampleFiles(4)
        let library = try BundledModel.libraryPredictions(files, heatmaps: false)
        let bodies = try files.map { ByteBuffer(bytes: try Data(contentsOf: $0)) }
        try await withModelService(model, metrics: metrics) { client in
            let start = ContinuousClock.now
            let answers = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
                for (index, body) in bodies.enumerated() {
                    group.addTask {
                        try await client.execute(uri: "/v1/predict", method: .post, headers: imageHeaders("image/png"), body: body) {
                            (index, probabilities(try $0.json()))
                        }
                    }
                }
                var answers = [[Float]](repeating: [], count: bodies.count)
                for try await (index, values) in group { answers[index] = values }
                return answers
            }
            XCTAssertLessThan(ContinuousClock.now - start, .seconds(5), "a full batch runs without waiting out the delay")
            for (answer, expected) in zip(answers, library) { assertClose(answer, expected.prediction.probabilities, accuracy: 1e-5) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "text/plain; version=0.0.4; charset=utf-8")
                let text = String(buffer: response.body)
                XCTAssertTrue(text.contains("thorax_batch_size_images_count{model=\"default\"} 1\n"), text)
                XCTAssertTrue(text.contains("thorax_batch_size_images_sum{model=\"default\"} 4.0\n"), text)
                XCTAssertTrue(text.contains("thorax_model_execution_seconds_count{model=\"default\"} 1\n"), text)
                XCTAssertTrue(text.contains("thorax_queue_wait_seconds_count{model=\"default\"} 4\n"), text)
                XCTAssertTrue(text.contains("thorax_http_requests_total{method=\"POST\",route=\"/v1/predict\",status=\"200\"} 4\n"), text)
                XCTAssertTrue(text.contains("thorax_http_request_duration_seconds_count{method=\"POST\",route=\"/v1/predict\"} 4\n"), text)
            }
        }
    }

    /// Routes registered by another module sit behind the service's middleware: the token
    /// guards them and the metrics count them under their template.
    func testAdditionalRoutesGetTheServicesMiddleware() async throws {
        let metrics = ServiceMetrics()
        let extra: RouteRegistration = { router in router.get("/extra/:thing") { _, _ in "extra" } }
        try await withModelService(try await BundledModel.served.value,
                                   options: ServiceOptions(serverVersion: "1", bearerToken: "t0ken"),
                                   metrics: metrics, additionalRoutes: [extra]) { client in
            try await client.execute(uri: "/extra/a", method: .get) { XCTAssertEqual($0.status, .unauthorized) }
            try await client.execute(uri: "/extra/b", method: .get, headers: [.authorization: "Bearer t0ken"]) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(String(buffer: response.body), "extra")
            }
        }
        let text = metrics.text()
        XCTAssertTrue(text.contains("thorax_http_requests_total{method=\"GET\",route=\"/extra/{thing}\",status=\"401\"} 1\n"), text)
        XCTAssertTrue(text.contains("thorax_http_requests_total{method=\"GET\",route=\"/extra/{thing}\",status=\"200\"} 1\n"), text)
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import Service
import ServiceFixtures
import XCTest

final class InferTests: XCTestCase {
    static let expected = FakeModel.probabilities(mean: 0.25) + FakeModel.probabilities(mean: -1)

    static func tensorInput(_ data: Any? = nil, shape: [Int] = [2, 3, 4, 4], binarySize: Int? = nil) -> [String: Any] {
        var input: [String: Any] = ["name": "tensor", "shape": shape, "datatype": "FP32"]
        if let data { input["data"] = data }
        if let binarySize { input["parameters"] = ["binary_data_size": binarySize] }
        return input
    }

    /// FP32 data as nested JSON arrays, outputs as JSON: probabilities [2, 14].
    func testTensorAsJSON() async throws {
        let nested = [[[[Float]]]](repeating: [[[Float]]](repeating: [[Float]](repeating: [Float](repeating: 0.25, count: 4), count: 4), count: 3), count: 1)
            + [[[[Float]]]](repeating: [[[Float]]](repeating: [[Float]](repeating: [Float](repeating: -1, count: 4), count: 4), count: 3), count: 1)
        try await withService { _, client in
            try await client.execute(uri: "/v2/models/default/infer", method: .post,
                                     body: Bodies.json(["id": "r-1", "inputs": [Self.tensorInput(nested)]])) { response in
                XCTAssertEqual(response.status, .ok, response.errorMessage ?? "")
                XCTAssertNil(response.headers[HTTPField.Name("Inference-Header-Content-Length")!])
                let json = try response.json()
                XCTAssertEqual(json["model_name"] as? String, "default")
                XCTAssertEqual(json["model_version"] as? String, "1")
                XCTAssertEqual(json["id"] as? String, "r-1")
                let outputs = try XCTUnwrap(json["outputs"] as? [[String: Any]])
                XCTAssertEqual(outputs.count, 1, "without an output list: the probabilities alone")
                XCTAssertEqual(outputs[0]["name"] as? String, "probabilities")
                XCTAssertEqual(outputs[0]["datatype"] as? String, "FP32")
                XCTAssertEqual(outputs[0]["shape"] as? [Int], [2, 14])
                assertClose(doubles(outputs[0]["data"]), Self.expected)
            }
            // The same tensor as a flat array, at the versioned path.
            try await client.execute(uri: "/v2/models/default/versions/1/infer", method: .post,
                                     body: Bodies.json(["inputs": [Self.tensorInput(Bodies.tensor.map(Double.init))]])) { response in
                XCTAssertEqual(response.status, .ok)
                assertClose(doubles((try response.json()["outputs"] as? [[String: Any]])?.first?["data"]), Self.expected)
            }
        }
    }

    /// The binary tensor data extension both ways: the tensor after the JSON, and every
    /// output as binary (request parameter binary_data_output), sizes in binary_data_size.
    func testBinaryTensorAndBinaryOutputs() async throws {
        let data = Bodies.floats(Bodies.tensor)
        let (body, headers) = Bodies.binary(["inputs": [Self.tensorInput(binarySize: data.count)],
                                             "parameters": ["binary_data_output": true]], data)
        try await withService { _, client in
            try await client.execute(uri: "/v2/models/default/infer", method: .post, headers: headers, body: body) { response in
                XCTAssertEqual(response.status, .ok, response.errorMessage ?? "")
                XCTAssertEqual(response.headers[.contentType], "application/octet-stream")
                let outputs = try XCTUnwrap(try response.json()["outputs"] as? [[String: Any]])
                XCTAssertNil(outputs[0]["data"])
                XCTAssertEqual((outputs[0]["parameters"] as? [String: Any])?["binary_data_size"] as? Int, 2 * 14 * 4)
                XCTAssertEqual(response.binary.count, 2 * 14 * 4)
                assertClose(Bodies.decodeFloats(response.binary), Self.expected)
            }
        }
    }

    /// Encoded images as a binary BYTES tensor; probabilities as JSON and heatmaps as binary.
    func testEncodedImagesWithHeatmaps() async throws {
        let images: [[UInt8]] = [[0, 255, 255, 0], Array("a PNG, say".utf8)]
        let data = Bodies.elements(images)
        let (body, headers) = Bodies.binary([
            "inputs": [["name": "images", "shape": [2], "datatype": "BYTES", "parameters": ["binary_data_size": data.count]]],
            "outputs": [["name": "probabilities"], ["name": "heatmaps", "parameters": ["binary_data": true]]],
        ], data)
        let first = FakeModel.output(mean: 0.5, heatmaps: true)
        let secondMean = Double(images[1].reduce(0) { $0 + Int($1) }) / Double(images[1].count) / 255
        let second = FakeModel.output(mean: secondMean, heatmaps: true)
        try await withService { _, client in
            try await client.execute(uri: "/v2/models/default/infer", method: .post, headers: headers, body: body) { response in
                XCTAssertEqual(response.status, .ok, response.errorMessage ?? "")
                let outputs = try XCTUnwrap(try response.json()["outputs"] as? [[String: Any]])
                XCTAssertEqual(outputs.map { $0["name"] as? String }, ["probabilities", "heatmaps"])
                assertClose(doubles(outputs[0]["data"]), first.probabilities + second.probabilities)
                XCTAssertEqual(outputs[1]["shape"] as? [Int], [2, 14, 2, 2])
                assertClose(Bodies.decodeFloats(response.binary), first.heatmaps! + second.heatmaps!)
            }
        }
    }

    /// Triton's classification extension: top-k "value:index:label" BYTES [N, k], as JSON
    /// strings or as length-prefixed binary elements.
    func testClassification() async throws {
        try await withService { _, client in
            for binary in [false, true] {
                let body = Bodies.json([
                    "inputs": [Self.tensorInput(Bodies.tensor.map(Double.init))],
                    "outputs": [["name": "probabilities", "parameters": ["classification": 3, "binary_data": binary]]],
                ])
                try await client.execute(uri: "/v2/models/default/infer", method: .post, body: body) { response in
                    XCTAssertEqual(response.status, .ok, response.errorMessage ?? "")
                    let output = try XCTUnwrap((try response.json()["outputs"] as? [[String: Any]])?.first)
                    XCTAssertEqual(output["datatype"] as? String, "BYTES")
                    XCTAssertEqual(output["shape"] as? [Int], [2, 3])
                    let labels = binary ? Bodies.decodeElements(response.binary) : try XCTUnwrap(output["data"] as? [String])
                    // Probabilities rise with the class index, so the top 3 are Hernia, Pleural_Thickening, Fibrosis.
                    let p = Self.expected
                    XCTAssertEqual(labels, [
                        String(format: "%f:13:Hernia", p[13]), String(format: "%f:12:Pleural_Thickening", p[12]),
                        String(format: "%f:11:Fibrosis", p[11]),
                        String(format: "%f:13:Hernia", p[27]), String(format: "%f:12:Pleural_Thickening", p[26]),
                        String(format: "%f:11:Fibrosis", p[25]),
                    ])
                }
            }
        }
    }
}

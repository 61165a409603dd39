import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Hummingbird
@testable import Service
import ServiceFixtures
import XCTest

final class BadRequestTests: XCTestCase {
    var tensor: [String: Any] {
        ["name": "tensor", "shape": [1, 3, 4, 4], "datatype": "FP32", "data": [Double](repeating: 0, count: 48)]
    }

    /// Each malformed request gets 400 and an error naming what is wrong.
    func testMalformedRequestsGet400NamingTheProblem() async throws {
        var images: [String: Any] = ["name": "images", "shape": [1], "datatype": "BYTES", "data": ["BAD image"]]
        let cases: [(String, ByteBuffer, HTTPFields, String)] = [
            ("not JSON", ByteBuffer(string: "{\"inputs\": [}"), [:], "malformed inference request JSON"),
            ("no inputs key", Bodies.json(["id": "x"]), [:], "missing \"inputs\""),
            ("two inputs", Bodies.json(["inputs": [tensor, tensor]]), [:], "has 2 inputs"),
            ("unknown input", Bodies.json(["inputs": [["name": "x", "shape": [1], "datatype": "FP32", "data": [1]]]]), [:],
             "unknown input \"x\""),
            ("wrong datatype", Bodies.json(["inputs": [merge(tensor, ["datatype": "INT8"])]]), [:], "must be FP32, not INT8"),
            ("wrong shape", Bodies.json(["inputs": [merge(tensor, ["shape": [1, 3, 8, 8]])]]), [:], "this model takes [N, 3, 4, 4]"),
            ("too few values", Bodies.json(["inputs": [merge(tensor, ["data": [1, 2, 3]])]]), [:], "data holds 3 elements, its shape needs 48"),
            ("a string among numbers", Bodies.json(["inputs": [merge(tensor, ["data": ["a"] + [Double](repeating: 0, count: 47)])]]), [:],
             "non-number element"),
            ("no data", Bodies.json(["inputs": [["name": "tensor", "shape": [1, 3, 4, 4], "datatype": "FP32"]]]), [:],
             "neither data nor binary_data_size"),
            ("batch too large", Bodies.json(["inputs": [merge(tensor, ["shape": [9, 3, 4, 4], "data": [Double](repeating: 0, count: 432)])]]),
             [:], "batch size 9; this model takes 1 to 8"),
            ("an absurd batch with binary data", Bodies.json(["inputs": [["name": "tensor", "shape": [Int.max / 2, 3, 4, 4], "datatype": "FP32",
                                                                   "parameters": ["binary_data_size": 0]]]]),
             [:], "has batch size \(Int.max / 2)"),
            ("a negative batch", Bodies.json(["inputs": [merge(tensor, ["shape": [-1, 3, 4, 4]])]]), [:], "has batch size -1"),
            ("an absurd number of images", Bodies.json(["inputs": [["name": "images", "shape": [1 << 40], "datatype": "BYTES", "data": ["x"]]]]),
             [:], "has batch size 1099511627776"),
            ("unknown output", Bodies.json(["inputs": [tensor], "outputs": [["name": "logits"]]]), [:], "unknown output \"logits\""),
            ("classification 0", Bodies.json(["inputs": [tensor], "outputs": [["name": "probabilities", "parameters": ["classification": 0]]]]),
             [:], "classification must be a count from 1 to 14"),
            ("classification 15", Bodies.json(["inputs": [tensor], "outputs": [["name": "probabilities", "parameters": ["classification": 15]]]]),
             [:], "classification must be a count from 1 to 14"),
            ("heatmaps as a classification", Bodies.json(["inputs": [tensor], "outputs": [["name": "heatmaps", "parameters": ["classification": 2]]]]),
             [:], "cannot be returned as a classification"),
            ("an undecodable image", Bodies.json(["inputs": [images]]), [:], "input \"images\" element 1: not a PNG, JPEG or DICOM image"),
        ]
        images["data"] = nil
        let finalCases = cases
        try await withService { _, client in
            for (name, body, headers, message) in finalCases {
                try await client.execute(uri: "/v2/models/default/infer", method: .post, headers: headers, body: body) { response in
                    XCTAssertEqual(response.status, .badRequest, name)
                    XCTAssertEqual(response.headers[.contentType], "application/json", name)
                    let error = response.errorMessage ?? ""
                    XCTAssertTrue(error.contains(message), "\(name): \(error)")
                }
            }
        }
    }

    func testBinaryDataThatDoesNotAddUp() async throws {
        let data = Bodies.floats([Float](repeating: 0, count: 48))
        let binaryTensor: [String: Any] = ["name": "tensor", "shape": [1, 3, 4, 4], "datatype": "FP32",
                                           "parameters": ["binary_data_size": data.count]]
        var cases: [(String, ByteBuffer, HTTPFields, String)] = []
        var (body, headers) = Bodies.binary(["inputs": [binaryTensor]], data + [0, 0])
        cases.append(("extra bytes", body, headers, "declares 192 bytes of binary data, the body carries 194"))
        (body, headers) = Bodies.binary(["inputs": [binaryTensor]], Array(data.prefix(100)))
        cases.append(("missing bytes", body, headers, "declares 192 bytes of binary data, the body carries 100"))
        (body, headers) = Bodies.binary(["inputs": [merge(binaryTensor, ["parameters": ["binary_data_size": 100]])]], Array(data.prefix(100)))
        cases.append(("not four bytes a value", body, headers, "48 FP32 elements need 192"))
        (body, headers) = Bodies.binary(["inputs": [["name": "tensor", "shape": [1, 3, 4, 4], "datatype": "FP32",
                                                     "data": [Double](repeating: 0, count: 48)]]], data)
        cases.append(("undeclared binary data", body, headers, "that no input declares"))
        headers[HTTPField.Name("Inference-Header-Content-Length")!] = "10"
        cases.append(("a stale header length", body, headers,
                      "malformed inference request JSON (the first 10 bytes, per Inference-Header-Content-Length)"))
        headers[HTTPField.Name("Inference-Header-Content-Length")!] = "99999"
        cases.append(("header length past the body", body, headers, "is not a length within"))
        let images = Bodies.elements([[1, 2, 3]])
        (body, headers) = Bodies.binary(["inputs": [["name": "images", "shape": [2], "datatype": "BYTES",
                                                     "parameters": ["binary_data_size": images.count]]]], images)
        cases.append(("too few images", body, headers, "holds 1 BYTES elements, its shape needs 2"))
        (body, headers) = Bodies.binary(["inputs": [["name": "images", "shape": [1], "datatype": "BYTES",
                                                     "parameters": ["binary_data_size": 6]]]], [9, 0, 0, 0, 1, 2])
        cases.append(("element length past the data", body, headers, "declares 9 bytes, 2 remain"))
        let finalCases = cases
        try await withService { _, client in
            for (name, body, headers, message) in finalCases {
                try await client.execute(uri: "/v2/models/default/infer", method: .post, headers: headers, body: body) { response in
                    XCTAssertEqual(response.status, .badRequest, name)
                    XCTAssertTrue((response.errorMessage ?? "").contains(message), "\(name): \(response.errorMessage ?? "")")
                }
            }
        }
    }

    /// Past the body limit: 413 with an error, whether Content-Length says so or not.
    func testBodiesOverTheLimitGet413() async throws {
        let options = ServiceOptions(serverVersion: "0.9.0", maximumBodyBytes: 1024)
        let small = Bodies.json(["inputs": [tensor]])
        try await withService(options: options) { _, client in
            try await client.execute(uri: "/v2/models/default/infer", method: .post,
                                     body: ByteBuffer(bytes: [UInt8](repeating: 0x20, count: 4096))) { response in
                XCTAssertEqual(response.status, .contentTooLarge)
                XCTAssertTrue((response.errorMessage ?? "").contains("exceeds the limit of 1024 bytes"), response.errorMessage ?? "")
            }
            try await client.execute(uri: "/v2/models/default/infer", method: .post, body: small) {
                XCTAssertEqual($0.status, .ok, "a body under the limit is served")
            }
        }
    }

    /// A body without Content-Length (chunked) is refused as soon as it passes the limit;
    /// a declared Content-Length over the limit is refused before any byte is read.
    func testTheLimitHoldsWithAndWithoutContentLength() async throws {
        let chunks = (0..<8).map { _ in ByteBuffer(bytes: [UInt8](repeating: 0x41, count: 512)) }
        let streamed = Request(head: HTTPRequest(method: .post, scheme: "http", authority: "localhost", path: "/"),
                               body: RequestBody(asyncSequence: stream(chunks)))
        do {
            _ = try await OpenInferenceRoutes.collectBody(streamed, limit: 1024)
            XCTFail("4096 streamed bytes were accepted under a 1024-byte limit")
        } catch let error as ServiceError {
            XCTAssertEqual(error.status, .contentTooLarge)
            XCTAssertEqual(error.message, "the request body exceeds the limit of 1024 bytes")
        }
        let declared = Request(head: HTTPRequest(method: .post, scheme: "http", authority: "localhost", path: "/",
                                                 headerFields: [.contentLength: "5000000000"]),
                               body: RequestBody(buffer: ByteBuffer()))
        do {
            _ = try await OpenInferenceRoutes.collectBody(declared, limit: 1024)
            XCTFail("a declared 5 GB body was accepted")
        } catch let error as ServiceError {
            XCTAssertEqual(error.message, "the request body of 5000000000 bytes exceeds the limit of 1024 bytes")
        }
        let small = Request(head: HTTPRequest(method: .post, scheme: "http", authority: "localhost", path: "/"),
                            body: RequestBody(asyncSequence: stream(Array(chunks.prefix(2)))))
        let bytes = try await OpenInferenceRoutes.collectBody(small, limit: 1024)
        XCTAssertEqual(bytes.count, 1024, "exactly the limit is accepted")
    }

    func stream(_ chunks: [ByteBuffer]) -> AsyncStream<ByteBuffer> {
        AsyncStream { continuation in
            for chunk in chunks { continuation.yield(chunk) }
            continuation.finish()
        }
    }

    func merge(_ base: [String: Any], _ changes: [String: Any]) -> [String: Any] {
        base.merging(changes) { $1 }
    }
}

final class AuthorizationTests: XCTestCase {
    func testWithATokenEveryRequestButHealthNeedsIt() async throws {
        let options = ServiceOptions(serverVersion: "0.9.0", bearerToken: "s3cret-token")
        try await withService(options: options) { _, client in
            for headers: HTTPFields in [[:], [.authorization: "Bearer wrong"], [.authorization: "Bearer s3cret-tokenX"],
                                        [.authorization: "Basic czNjcmV0LXRva2Vu"], [.authorization: "Bearer "]] {
                try await client.execute(uri: "/v2", method: .get, headers: headers) { response in
                    XCTAssertEqual(response.status, .unauthorized, "\(headers)")
                    XCTAssertEqual(response.headers[.wwwAuthenticate], "Bearer realm=\"thorax\"")
                    XCTAssertNotNil(response.errorMessage)
                }
            }
            try await client.execute(uri: "/v2/models/default/infer", method: .post, body: Bodies.json([:])) {
                XCTAssertEqual($0.status, .unauthorized, "before the body is read")
            }
            for authorization in ["Bearer s3cret-token", "bearer s3cret-token"] {
                try await client.execute(uri: "/v2", method: .get, headers: [.authorization: authorization]) {
                    XCTAssertEqual($0.status, .ok, authorization)
                }
            }
            try await client.execute(uri: "/v2/health/live", method: .get) { XCTAssertEqual($0.status, .ok) }
            try await client.execute(uri: "/v2/health/ready", method: .get) { XCTAssertEqual($0.status, .ok) }
        }
    }

    func testWithoutATokenNothingIsAsked() async throws {
        try await withService { _, client in
            try await client.execute(uri: "/v2", method: .get) { XCTAssertEqual($0.status, .ok) }
        }
    }
}

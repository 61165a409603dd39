import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Service
import ServiceFixtures
import XCTest

/// Runs `body` against the service's router through Hummingbird's in-process test client
/// (no sockets), with the fake model loaded unless `loaded` is false.
func withService(options: ServiceOptions = ServiceOptions(serverVersion: "0.9.0"), loaded: Bool = true,
                 _ body: @Sendable (ModelRepository, any TestClientProtocol) async throws -> Void) async throws {
    let repository = ModelRepository()
    if loaded { await repository.finishLoading(FakeModel()) }
    var logger = Logger(label: "thorax.service.tests")
    logger.logLevel = .critical
    let service = InferenceService(repository: repository, options: options, logger: logger)
    let application = Application(router: service.router(), logger: logger)
    try await application.test(.router) { client in try await body(repository, client) }
}

extension TestResponse {
    var bytes: [UInt8] { Array(body.readableBytesView) }

    /// The body as a JSON object (the JSON part alone when binary data follows it).
    func json(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        var bytes = self.bytes
        if let length = headers[HTTPField.Name("Inference-Header-Content-Length")!].flatMap(Int.init) {
            bytes = Array(bytes.prefix(length))
        }
        guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            XCTFail("not a JSON object: \(String(decoding: bytes, as: UTF8.self))", file: file, line: line)
            return [:]
        }
        return object
    }

    /// The binary data after the JSON.
    var binary: [UInt8] {
        guard let length = headers[HTTPField.Name("Inference-Header-Content-Length")!].flatMap(Int.init) else { return [] }
        return Array(bytes.dropFirst(length))
    }

    var errorMessage: String? { (try? json())?["error"] as? String }
}

/// Request bodies for the infer endpoint.
enum Bodies {
    static func json(_ object: [String: Any]) -> ByteBuffer {
        ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
    }

    /// JSON then binary data, with the header giving the JSON's length.
    static func binary(_ object: [String: Any], _ data: [UInt8]) -> (ByteBuffer, HTTPFields) {
        let json = try! JSONSerialization.data(withJSONObject: object)
        var headers = HTTPFields()
        headers[HTTPField.Name("Inference-Header-Content-Length")!] = String(json.count)
        return (ByteBuffer(bytes: Array(json) + data), headers)
    }

    static func floats(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
    }

    static func decodeFloats(_ bytes: [UInt8]) -> [Float] {
        stride(from: 0, to: bytes.count, by: 4).map { i in
            Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
        }
    }

    /// BYTES elements, each a 4-byte little-endian length and its bytes.
    static func elements(_ values: [[UInt8]]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: UInt32(value.count).littleEndian) { Array($0) } + value }
    }

    static func decodeElements(_ bytes: [UInt8]) -> [String] {
        var strings: [String] = []
        var offset = 0
        while offset + 4 <= bytes.count {
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
            strings.append(String(decoding: bytes[(offset + 4)..<(offset + 4 + length)], as: UTF8.self))
            offset += 4 + length
        }
        return strings
    }

    /// Two images of 48 tensor values, the first all 0.25, the second all −1.
    static let tensor: [Float] = [Float](repeating: 0.25, count: 48) + [Float](repeating: -1, count: 48)
}

func assertClose(_ actual: [Float], _ expected: [Float], accuracy: Float = 1e-6, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "element count", file: file, line: line)
    for (a, e) in zip(actual, expected) where abs(a - e) > accuracy {
        XCTFail("\(actual) is not \(expected)", file: file, line: line)
        return
    }
}

func doubles(_ value: Any?) -> [Float] {
    (value as? [Any])?.compactMap { ($0 as? NSNumber)?.floatValue } ?? []
}

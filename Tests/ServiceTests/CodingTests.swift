import Hummingbird
@testable import Service
import XCTest

final class CodingTests: XCTestCase {
    func testConstantTimeComparison() {
        let token = Array("s3cret-token".utf8)
        XCTAssertTrue(BearerTokenMiddleware<BasicRequestContext>.equalInConstantTime(token, token))
        for other in ["", "s3cret-toke", "s3cret-tokenn", "S3cret-token", "s3cret-tokem"] {
            XCTAssertFalse(BearerTokenMiddleware<BasicRequestContext>.equalInConstantTime(Array(other.utf8), token), other)
        }
        // A presented token that is the expected one followed by NULs is still wrong.
        XCTAssertFalse(BearerTokenMiddleware<BasicRequestContext>.equalInConstantTime(token + [0], token))
    }

    func testClassificationOrdersByValueThenIndex() {
        let labels = ["a", "b", "c", "d"]
        XCTAssertEqual(InferenceResponse.classification([1, 5, 10, 4], top: 2, labels: labels), ["10.000000:2:c", "5.000000:1:b"])
        XCTAssertEqual(InferenceResponse.classification([0.5, 0.25, 0.5, 0.125], top: 4, labels: labels),
                       ["0.500000:0:a", "0.500000:2:c", "0.250000:1:b", "0.125000:3:d"])
    }

    func testBinaryTensorCodingRoundTrips() throws {
        let values: [Float] = [0, -1.5, .greatestFiniteMagnitude, 1e-30, 0.1]
        XCTAssertEqual(try TensorCoding.floats(fromBinary: TensorCoding.binary(values)[...], count: 5, input: "x"), values)
        XCTAssertEqual(TensorCoding.binary([Float(1)]), [0x00, 0x00, 0x80, 0x3F], "little-endian IEEE 754")
        let strings = ["", "0.5:1:b", "ü"]
        let encoded = TensorCoding.binary(strings)
        XCTAssertEqual(Array(encoded.prefix(4)), [0, 0, 0, 0])
        XCTAssertEqual(try TensorCoding.bytes(fromBinary: encoded[...], count: 3, input: "x").map { String(decoding: $0, as: UTF8.self) }, strings)
        XCTAssertThrowsError(try TensorCoding.bytes(fromBinary: [1, 0, 0][...], count: 1, input: "x"))
    }
}

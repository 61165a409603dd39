import Foundation
import SafeTensors
import TestSupport
import XCTest

/// The safetensors reader and writer against files written by the Python `safetensors`
/// package (Fixtures/dtypes.safetensors, made by scripts/golden/make-fixtures.py) and against
/// hand-built corrupt files.
final class SafeTensorsTests: XCTestCase {
    static var fixtures: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures") }

    func testReadsEveryDTypeAsPyTorchDoes() throws {
        let file = try SafeTensorsFile(contentsOf: Self.fixtures.appendingPathComponent("dtypes.safetensors"))
        XCTAssertEqual(file.metadata, ["source": "make-fixtures.py"])
        XCTAssertEqual(file.entry("f16")?.dtype, .float16)
        XCTAssertEqual(file.entry("bf16")?.dtype, .bfloat16)
        let f32 = try file.tensor("f32")
        XCTAssertEqual(f32.shape, [3, 5])
        // Widening is exact, so the values equal PyTorch's `.float()` of the narrow tensors bit for bit.
        XCTAssertEqual(try file.tensor("f16").values, try file.tensor("f16_as_f32").values)
        XCTAssertEqual(try file.tensor("bf16").values, try file.tensor("bf16_as_f32").values)
        XCTAssertNotEqual(try file.tensor("f16").values, f32.values, "f16 rounding must be visible")
        XCTAssertEqual(try file.tensor("empty_f32"), StoredTensor(shape: [0, 4], values: []))
        XCTAssertEqual(try file.integers("scalar_i64"), [7])
        XCTAssertEqual(try file.integers("vector_i64"), [-3, 0, 1 << 40])
        XCTAssertEqual(Set(file.integerNames), ["scalar_i64", "vector_i64"])
        XCTAssertFalse(file.floatNames.contains("scalar_i64"))
        XCTAssertThrowsError(try file.tensor("scalar_i64")) { error in
            XCTAssertEqual((error as? SafeTensorsError)?.kind,
                           .wrongKind(tensor: "scalar_i64", dtype: "I64", wanted: "a floating-point dtype"))
        }
        XCTAssertThrowsError(try file.tensor("nope")) { error in
            XCTAssertTrue("\(error)".hasSuffix("dtypes.safetensors: no tensor named 'nope'"), "\(error)")
        }
    }

    func testWritesFloat16RoundedAsPyTorch() throws {
        let file = try SafeTensorsFile(contentsOf: Self.fixtures.appendingPathComponent("dtypes.safetensors"))
        let source = try file.tensor("to_f16_source")
        let data = try SafeTensorsWriter.encode([("x", source)], storage: .float16)
        let back = try SafeTensorsFile(data: data, path: "memory")
        XCTAssertEqual(back.entry("x")?.dtype, .float16)
        XCTAssertEqual(try back.tensor("x").values, try file.tensor("to_f16_expected").values)
    }

    func testRoundTripFloat32WithMetadataAtomically() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        let a = StoredTensor(shape: [2, 3], values: [1, -2, 3.5, .pi, -0.0, 1e-30])
        let b = StoredTensor(shape: [], values: [42])
        try SafeTensorsWriter.write([("layer.weight", a), ("scale", b)], to: url, metadata: ["arch": "resnet50"])
        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertEqual(file.names, ["layer.weight", "scale"])
        XCTAssertEqual(try file.tensor("layer.weight"), a)
        XCTAssertEqual(try file.tensor("scale"), b)
        XCTAssertEqual(file.metadata["arch"], "resnet50")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["model.safetensors"])
    }

    func testWriterRejectsBadInputNamingTheTensor() {
        XCTAssertThrowsError(try SafeTensorsWriter.encode([("w", StoredTensor(shape: [2, 2], values: [1, 2, 3]))], path: "out")) {
            XCTAssertEqual("\($0)", "out: tensor 'w' has 3 values, shape [2, 2] needs 4")
        }
        XCTAssertThrowsError(try SafeTensorsWriter.encode([("w", StoredTensor(shape: [1], values: [1e6]))], storage: .float16, path: "out")) {
            XCTAssertEqual("\($0)", "out: tensor 'w' holds 1000000.0, which F16 cannot represent")
        }
        let one = StoredTensor(shape: [1], values: [1])
        XCTAssertThrowsError(try SafeTensorsWriter.encode([("w", one), ("w", one)], path: "out")) {
            XCTAssertEqual("\($0)", "out: tensor name 'w' given twice")
        }
    }

    // MARK: corrupt files

    /// A file with the given header text and `dataSize` zero bytes of data.
    private func file(header: String, dataSize: Int = 0) -> Data {
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(Data(header.utf8))
        data.append(Data(count: dataSize))
        return data
    }

    private func assertCorrupt(_ data: Data, _ expected: SafeTensorsError.Kind, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensorsFile(data: data, path: "bad.safetensors"), line: line) { error in
            XCTAssertEqual(error as? SafeTensorsError, SafeTensorsError(file: "bad.safetensors", kind: expected), line: line)
            XCTAssertTrue("\(error)".hasPrefix("bad.safetensors: "), line: line)
        }
    }

    func testTruncatedFilesAreReported() throws {
        let good = try Data(contentsOf: Self.fixtures.appendingPathComponent("dtypes.safetensors"))
        assertCorrupt(good.prefix(5), .truncated(needed: 8, actual: 5))
        let headerLength = Int(good.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        assertCorrupt(good.prefix(100), .truncated(needed: 8 + headerLength, actual: 100))
        // Cut inside the data section: the last tensor's offsets now run past the end.
        XCTAssertThrowsError(try SafeTensorsFile(data: good.prefix(good.count - 3), path: "cut")) { error in
            guard case .invalidOffsets? = (error as? SafeTensorsError)?.kind else {
                return XCTFail("expected invalid offsets, got \(error)")
            }
        }
    }

    func testCorruptHeadersAreReportedByTensorName() {
        var huge = Data()
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { huge.append(contentsOf: $0) }
        assertCorrupt(huge, .headerTooLarge(1 << 40))
        assertCorrupt(file(header: "{not json"), .invalidHeader("not valid JSON"))
        assertCorrupt(file(header: "[1, 2]"), .invalidHeader("not a JSON object"))
        assertCorrupt(file(header: #"{"w": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}}"#, dataSize: 8),
                      .unsupportedDType(tensor: "w", dtype: "F64"))
        assertCorrupt(file(header: #"{"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#, dataSize: 4),
                      .invalidHeader("entry 'w' has no valid shape"))
        assertCorrupt(file(header: #"{"w": {"dtype": "F32", "shape": [2]}}"#, dataSize: 8),
                      .invalidHeader("entry 'w' has no valid data_offsets"))
        assertCorrupt(file(header: #"{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, dataSize: 8),
                      .sizeMismatch(tensor: "w", shape: [3], dtype: "F32", bytes: 8))
        assertCorrupt(file(header: #"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#, dataSize: 8),
                      .invalidOffsets(tensor: "w", begin: 4, end: 12, dataSize: 8))
        assertCorrupt(file(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#, dataSize: 8),
                      .invalidOffsets(tensor: "b", begin: 4, end: 8, dataSize: 8))
        assertCorrupt(file(header: #"{"__metadata__": {"k": 1}}"#), .invalidHeader("__metadata__ value for 'k' is not a string"))
    }

    func testMissingFileIsAnIOError() {
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: URL(fileURLWithPath: "/nonexistent/w.safetensors"))) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/w.safetensors: cannot read"), "\(error)")
        }
    }

    func testCheckReportsMissingUnexpectedAndMisshapedByName() throws {
        let data = try SafeTensorsWriter.encode([
            ("conv1.weight", StoredTensor(shape: [2, 3], values: Array(repeating: 0, count: 6))),
            ("fc.weight", StoredTensor(shape: [4], values: [0, 0, 0, 0])),
            ("extra", StoredTensor(shape: [1], values: [0])),
        ], path: "w.safetensors")
        let file = try SafeTensorsFile(data: data, path: "w.safetensors")
        XCTAssertNoThrow(try file.check(expected: [("conv1.weight", [2, 3]), ("fc.weight", [4])],
                                        allowUnexpected: { $0 == "extra" }))
        XCTAssertThrowsError(try file.check(expected: [("conv1.weight", [2, 3]), ("fc.weight", [5]), ("bn1.bias", [2])])) { error in
            XCTAssertEqual("\(error)", "w.safetensors: tensors do not match the model; missing 1: bn1.bias; "
                + "unexpected 1: extra; mis-shaped 1: fc.weight expected [5] found [4]")
        }
    }

    func testCheckIgnoresIntegerBuffersOfATorchvisionStateDict() throws {
        let file = try SafeTensorsFile(contentsOf: Self.fixtures.appendingPathComponent("tiny-resnet-basic.weights.safetensors"))
        XCTAssertTrue(file.integerNames.contains("bn1.num_batches_tracked"))
        XCTAssertEqual(try file.integers("bn1.num_batches_tracked"), [3])
        let expected = try file.floatNames.map { ($0, try file.tensor($0).shape) }
        XCTAssertNoThrow(try file.check(expected: expected))
    }
}

import Foundation
import Models
import NN
import SafeTensors
import TestSupport
import XCTest

/// `thorax forward` and `thorax bench` run as a subprocess: exact error messages, the output
/// file's contract, and agreement with the library (which the golden tests check against PyTorch).
final class ForwardCommandTests: XCTestCase {
    /// The built `thorax` executable, next to the test bundle in the products directory.
    static var thorax: URL {
        get throws {
            let candidates = [Bundle.main.bundleURL, URL(fileURLWithPath: CommandLine.arguments[0])]
                .map { $0.deletingLastPathComponent().appendingPathComponent("thorax") }
                + Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent().appendingPathComponent("thorax") }
            guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
                throw FixtureError("thorax executable not found next to the tests (build with `swift build --build-tests`)")
            }
            return found
        }
    }

    /// Runs thorax with `arguments`; returns (exit status, standard output, standard error).
    static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = try thorax
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
    }

    func testInvalidEngineSwitchIsRefusedBeforeAnyWork() throws {
        let result = try Self.run(["forward", "--arch", "resnet18", "--weights", "w", "--input", "x", "--output", "y"],
                                  environment: ["THORAX_FOLD_BATCHNORM": "off"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.output, "")
        XCTAssertEqual(result.error, "Error: environment variable THORAX_FOLD_BATCHNORM is 'off'; it must be 0 (off) or 1 (on), or unset\n")
    }

    func testUnknownArchitectureIsNamed() throws {
        let result = try Self.run(["forward", "--arch", "vgg16", "--weights", "w", "--input", "x", "--output", "y"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.error, "Error: unknown architecture 'vgg16'; choose one of: resnet18, resnet34, resnet50, resnet101, densenet121, efficientnet-lite0\n")
    }

    func testCorruptWeightsFileIsNamed() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let weights = directory.appendingPathComponent("w.safetensors")
        try Data([1, 2, 3]).write(to: weights)
        // Every path is checked before any is read: --input must exist too (any file will do here).
        let result = try Self.run(["forward", "--arch", "resnet18", "--weights", weights.path, "--input", weights.path,
                                   "--output", directory.appendingPathComponent("y").path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.error, "Error: \(weights.path): truncated: needs at least 8 bytes, has 3\n")
    }

    func testForwardWritesTheContractAndAgreesWithTheLibrary() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try ResNet(depth: .resNet18, classCount: 3, seed: 5)
        let weights = directory.appendingPathComponent("w.safetensors")
        try Checkpoint.save(model, to: weights)
        var generator = SystemRandomNumberGenerator()
        let x = StoredTensor(shape: [2, 3, 40, 40], values: (0 ..< 2 * 3 * 40 * 40).map { _ in Float.random(in: -1 ... 1, using: &generator) })
        let gradientOutput = StoredTensor(shape: [2, 3], values: [0.5, -1, 2, 0.25, 1, -0.5])
        let input = directory.appendingPathComponent("x.safetensors")
        try SafeTensorsWriter.write([("input", x), ("grad_output", gradientOutput)], to: input)
        let output = directory.appendingPathComponent("y.safetensors")
        let result = try Self.run(["forward", "--arch", "resnet18", "--weights", weights.path, "--input", input.path,
                                   "--output", output.path, "--mode", "train", "--backward", "--threads", "1"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertEqual(result.output, "")
        let file = try SafeTensorsFile(contentsOf: output)
        XCTAssertEqual(file.entry("output")?.shape, [2, 3])
        XCTAssertEqual(file.entry("grad.input")?.shape, [2, 3, 40, 40])
        let parameterNames = model.namedParameters().map { "grad." + $0.name }
        XCTAssertEqual(Set(file.names.filter { $0.hasPrefix("grad.") }), Set(parameterNames + ["grad.input"]))
        XCTAssertEqual(file.names.filter { $0.hasPrefix("buffer.") }.count, model.namedBuffers().count)

        model.setTraining(true)
        let expected = try model.forward(Tensor(shape: x.shape, values: x.values)).toArray()
        XCTAssertEqual(try file.tensor("output").values, expected)

        // A grad_output of the wrong shape: a clear error, and no output file.
        let badInput = directory.appendingPathComponent("bad.safetensors")
        try SafeTensorsWriter.write([("input", x), ("grad_output", StoredTensor(shape: [2, 4], values: Array(repeating: 1, count: 8)))],
                                    to: badInput)
        let badOutput = directory.appendingPathComponent("bad-y.safetensors")
        let failure = try Self.run(["forward", "--arch", "resnet18", "--weights", weights.path, "--input", badInput.path,
                                    "--output", badOutput.path, "--backward"])
        XCTAssertNotEqual(failure.status, 0)
        XCTAssertEqual(failure.error, "Error: \(badInput.path): 'grad_output' has shape [2, 4]; the output has shape [2, 3]\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: badOutput.path), "no half-written output")
    }

    func testBenchPrintsTheJSONContract() throws {
        let result = try Self.run(["bench", "--arch", "resnet18", "--batch", "2", "--size", "64", "--mode", "train",
                                   "--iterations", "1", "--threads", "1", "--json"])
        XCTAssertEqual(result.status, 0, result.error)
        let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        XCTAssertEqual(object?["arch"] as? String, "resnet18")
        XCTAssertEqual(object?["mode"] as? String, "train")
        XCTAssertEqual(object?["batch"] as? Int, 2)
        XCTAssertEqual(object?["size"] as? Int, 64)
        XCTAssertGreaterThan(object?["seconds_per_iteration"] as? Double ?? 0, 0)
        XCTAssertGreaterThan(object?["images_per_second"] as? Double ?? 0, 0)
        XCTAssertGreaterThan(object?["peak_rss_bytes"] as? Int ?? 0, 10_000_000)
        XCTAssertGreaterThan(object?["cpu_seconds_per_iteration"] as? Double ?? 0, 0)
        XCTAssertEqual(object?["optimizer"] as? String, "sgd")
        XCTAssertTrue(object?["head"] is NSNull, "the torchvision classifier by default")
        XCTAssertGreaterThan(object?["optimizer_seconds_per_iteration"] as? Double ?? 0, 0)
    }

    func testBenchTimesThePaperHeadWithAdam() throws {
        let result = try Self.run(["bench", "--arch", "resnet18", "--batch", "2", "--size", "64", "--mode", "train",
                                   "--head", "--transition-channels", "8", "--pooling", "max", "--optimizer", "adam",
                                   "--iterations", "1", "--threads", "1", "--json"])
        XCTAssertEqual(result.status, 0, result.error)
        let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        XCTAssertEqual(object?["head"] as? String, "paper")
        XCTAssertEqual(object?["optimizer"] as? String, "adam")
        XCTAssertGreaterThan(object?["optimizer_seconds_per_iteration"] as? Double ?? 0, 0)

        let failure = try Self.run(["bench", "--arch", "resnet18", "--head", "--pooling", "median"])
        XCTAssertNotEqual(failure.status, 0)
        XCTAssertTrue(failure.error.contains("The value 'median' is invalid for '--pooling <pooling>'. Please provide one of 'avg', 'max' or 'lse'."),
                      failure.error)
    }
}

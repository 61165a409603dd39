import Foundation
import ServiceFixtures
import TestSupport
import XCTest

/// End to end over a socket: NVIDIA's tritonclient[http] (PyPI) against OIPFixtureServer, the
/// service with the fake model on an ephemeral port, then SIGTERM and a clean exit.
final class TritonClientTests: XCTestCase {
    func testTritonClientSpeaksToTheService() throws {
        let server = try FixtureServer(token: "e2e-token")
        defer { server.stop() }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/triton-client.py")
        let output = try runProcess("python3", [script.path, server.address, "e2e-token"])
        guard output.status == 0 else {
            throw FixtureError("triton-client.py failed (\(output.status)); pip install 'tritonclient[http]' if it is missing:\n\(output.standardError)")
        }
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any])
        XCTAssertEqual(json["live"] as? Bool, true)
        XCTAssertEqual(json["ready"] as? Bool, true)
        XCTAssertEqual(json["model_ready"] as? Bool, true)
        XCTAssertEqual((json["server"] as? [String: Any])?["extensions"] as? [String], ["binary_tensor_data", "classification"])
        let model = try XCTUnwrap(json["model"] as? [String: Any])
        XCTAssertEqual((model["outputs"] as? [[String: Any]])?.map { $0["name"] as? String }, ["probabilities", "heatmaps"])

        let expected = [FakeModel.probabilities(mean: 0.25), FakeModel.probabilities(mean: -1)]
        for key in ["binary_probabilities", "json_probabilities"] {
            let rows = try XCTUnwrap(json[key] as? [[Double]], key)
            XCTAssertEqual(rows.count, 2, key)
            for (row, want) in zip(rows, expected) {
                for (a, b) in zip(row, want) { XCTAssertEqual(Float(a), b, accuracy: 1e-6, key) }
            }
        }
        let heatmaps = try XCTUnwrap(json["heatmaps"] as? [[[[Double]]]])
        XCTAssertEqual([heatmaps.count, heatmaps[0].count, heatmaps[0][0].count, heatmaps[0][0][0].count], [2, 14, 2, 2])
        XCTAssertEqual(Float(heatmaps[1][13][1][1]), FakeModel.output(mean: -1, heatmaps: true).heatmaps![13 * 4 + 3], accuracy: 1e-6)
        XCTAssertEqual(json["id"] as? String, "req-7")
        let classification = try XCTUnwrap(json["classification"] as? [[String]])
        XCTAssertEqual(classification.map { $0.map { $0.split(separator: ":").dropFirst().joined(separator: ":") } },
                       [["13:Hernia", "12:Pleural_Thickening", "11:Fibrosis"], ["13:Hernia", "12:Pleural_Thickening", "11:Fibrosis"]])

        let unknown = try XCTUnwrap(json["unknown_model"] as? [String: Any])
        XCTAssertEqual(unknown["status"] as? String, "404")
        XCTAssertEqual(unknown["message"] as? String, "unknown model \"missing\"")
        XCTAssertEqual((json["no_token"] as? [String: Any])?["status"] as? String, "401")
        let bad = try XCTUnwrap(json["bad_image"] as? [String: Any])
        XCTAssertEqual(bad["status"] as? String, "400")
        XCTAssertEqual(bad["message"] as? String, "input \"images\" element 1: not a PNG, JPEG or DICOM image")

        XCTAssertEqual(server.stop(), 0, "SIGTERM ends the server gracefully with status 0")
    }
}

/// OIPFixtureServer (built next to the tests) running on an ephemeral port.
final class FixtureServer {
    let process = Process()
    let address: String

    init(token: String) throws {
        let candidates = [
            Bundle(for: FixtureServer.self).bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        ].map { $0.appendingPathComponent("OIPFixtureServer") }
        guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw FixtureError("OIPFixtureServer is not built next to the tests (looked at \(candidates.map(\.path)))")
        }
        process.executableURL = binary
        process.arguments = ["--port", "0", "--token", token]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // The first line says where it listens; reading returns nothing if the server dies first.
        var text = ""
        while !text.contains("\n") {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first, line.hasPrefix("listening on ") else {
            process.terminate()
            throw FixtureError("OIPFixtureServer did not start: \(text.debugDescription)")
        }
        address = String(line.dropFirst("listening on ".count))
    }

    /// Sends SIGTERM (once) and returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationReason == .exit ? process.terminationStatus : -process.terminationStatus
    }
}

struct ProcessOutput {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

/// Runs `executable` from PATH.
func runProcess(_ executable: String, _ arguments: [String]) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessOutput(status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
                         standardError: String(decoding: errorData, as: UTF8.self))
}

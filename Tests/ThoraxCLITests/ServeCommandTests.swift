import Foundation
import Store
import TestSupport
import XCTest

/// `thorax serve` as a process on an ephemeral port, driven by NVIDIA's tritonclient[http] and
/// plain HTTP (Tests/ServiceTests/Scripts/serve-client.py), compared with `thorax predict --json`
/// of the same files, then stopped with SIGTERM.
final class ServeCommandTests: XCTestCase {
    var directory: URL!
    var database: URL { directory.appendingPathComponent("thorax.sqlite") }

    override func setUpWithError() throws {
        directory = try SharedData.temporaryDirectory("serve-command")
        _ = try ThoraxDatabase(path: database.path)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func testServeAnswersTritonClientAsPredictDoesAndStopsOnSIGTERM() throws {
        let samples = SharedData.repositoryRoot.appendingPathComponent("Samples/nih/images")
        let files = try FileManager.default.contentsOfDirectory(atPath: samples.path).filter { $0.hasSuffix(".png") }.sorted()
            .prefix(4).map { samples.appendingPathComponent($0).path }
        let tokenFile = directory.appendingPathComponent("token")
        try Data("e2e-serve-token\n".utf8).write(to: tokenFile)
        let databaseBefore = try Data(contentsOf: database)

        let server = try ServeProcess(["serve", "--database", database.path, "--port", "0", "--token-file", tokenFile.path],
                                      in: directory)
        defer { server.stop() }
        XCTAssertTrue(server.address.hasPrefix("127.0.0.1:"), server.address)
        let script = SharedData.repositoryRoot.appendingPathComponent("Tests/ServiceTests/Scripts/serve-client.py")
        let client = try runPython([script.path, server.address, "e2e-serve-token"] + files)
        guard client.status == 0 else {
            throw FixtureError("serve-client.py failed (\(client.status)); pip install 'tritonclient[http]' if it is missing:\n\(client.standardError)")
        }
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(client.standardOutput.utf8)) as? [String: Any])
        XCTAssertEqual(json["live"] as? Bool, true)
        XCTAssertEqual(json["ready"] as? Bool, true)
        XCTAssertEqual(json["model_ready"] as? Bool, true)
        let metadata = try XCTUnwrap(json["metadata"] as? [String: Any])
        XCTAssertEqual(metadata["name"] as? String, "default")
        XCTAssertEqual((metadata["inputs"] as? [[String: Any]])?.first?["shape"] as? [Int], [-1, 3, 256, 256])
        XCTAssertEqual((metadata["outputs"] as? [[String: Any]])?.last?["shape"] as? [Int], [-1, 14, 16, 16])

        // thorax predict --json of the same files: the same probabilities.
        let predicted = try runThorax(["predict", "--json"] + files, in: directory)
        XCTAssertEqual(predicted.status, 0, predicted.standardError)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(predicted.standardOutput.utf8)) as? [String: Any])
        let expected = try XCTUnwrap(report["predictions"] as? [[String: Any]]).map { prediction in
            ((prediction["classes"] as? [[String: Any]]) ?? []).map { ($0["probability"] as! NSNumber).doubleValue }
        }
        let served = try XCTUnwrap(json["probabilities"] as? [[Double]])
        let plain = try XCTUnwrap(json["v1"] as? [[String: Any]]).map { answer in
            ((answer["classes"] as? [[String: Any]]) ?? []).map { ($0["probability"] as! NSNumber).doubleValue }
        }
        XCTAssertEqual(expected.count, files.count)
        for (rows, label) in [(served, "OIP infer"), (plain, "/v1/predict")] {
            XCTAssertEqual(rows.count, files.count, label)
            for (row, want) in zip(rows, expected) {
                XCTAssertEqual(row.count, 14, label)
                for (a, b) in zip(row, want) { XCTAssertEqual(a, b, accuracy: 1e-5, label) }
            }
        }
        let top = try XCTUnwrap(json["classification"] as? [[String]])
        XCTAssertEqual(top.map(\.count), [3, 3, 3, 3])
        let figure = try XCTUnwrap(json["figure"] as? [String: Any])
        XCTAssertEqual(figure["status"] as? Int, 200)
        XCTAssertEqual(figure["content_type"] as? String, "image/png")
        XCTAssertEqual(figure["png"] as? Bool, true)

        let bad = try XCTUnwrap(json["bad"] as? [String: Any])
        func status(_ key: String) -> Int? { (bad[key] as? [String: Any])?["status"] as? Int }
        func message(_ key: String) -> String? { ((bad[key] as? [String: Any])?["body"] as? [String: Any])?["error"] as? String }
        XCTAssertEqual(status("wrong_type"), 415)
        XCTAssertEqual(status("truncated"), 400)
        XCTAssertTrue(message("truncated")?.hasPrefix("the request body: PNG: ") ?? false, "\(bad)")
        XCTAssertEqual(status("huge"), 413)
        XCTAssertEqual(message("huge"), "the request body of 2147483648 bytes exceeds the limit of 268435456 bytes")
        XCTAssertEqual(status("no_token"), 401)
        XCTAssertEqual(status("unknown_model"), 404)
        XCTAssertEqual(message("unknown_model"), "unknown model \"missing\"")
        XCTAssertEqual((bad["oip_unknown_model"] as? [String: Any])?["status"] as? String, "404")
        XCTAssertEqual((bad["oip_no_token"] as? [String: Any])?["status"] as? String, "401")

        XCTAssertEqual(server.stop(), 0, "SIGTERM ends the server gracefully with status 0")
        XCTAssertEqual(try Data(contentsOf: database), databaseBefore, "no request changed the database")
        let log = try String(contentsOf: server.log, encoding: .utf8)
        XCTAssertTrue(log.contains("POST /v1/predict 415"), log)
    }

    func testBadSettingsAreRefusedBeforeListening() throws {
        let missing = try runThorax(["serve", "--database", "no-folder/thorax.sqlite", "--port", "0"], in: directory)
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.standardError.hasPrefix("Error: "), missing.standardError)
        XCTAssertTrue(missing.standardError.contains("no-folder/thorax.sqlite"), missing.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("no-folder").path))
        let model = try runThorax(["serve", "--database", database.path, "--model", "x=/nonexistent/model"], in: directory)
        XCTAssertEqual(model.status, 1)
        XCTAssertEqual(model.standardError, "Error: /nonexistent/model: not a model directory (no model.json in it)\n")
        let twice = try runThorax(["serve", "--database", database.path, "--model", "default", "--model", "default"], in: directory)
        XCTAssertNotEqual(twice.status, 0)
        XCTAssertTrue(twice.standardError.contains("--model default: the name default is given twice"), twice.standardError)
        try Data("\n".utf8).write(to: directory.appendingPathComponent("empty-token"))
        let token = try runThorax(["serve", "--database", database.path, "--token-file", "empty-token"], in: directory)
        XCTAssertEqual(token.status, 1)
        XCTAssertEqual(token.standardError, "Error: empty-token: the first line holds no token (--token-file)\n")
    }
}

/// `thorax serve` running until `stop()`; its log (standard error) goes to a file.
final class ServeProcess {
    let process = Process()
    /// HOST:PORT from the first line it prints.
    let address: String
    let log: URL

    init(_ arguments: [String], in directory: URL) throws {
        process.executableURL = try thoraxExecutable()
        process.arguments = arguments
        process.currentDirectoryURL = directory
        log = directory.appendingPathComponent("serve.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
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
        guard let line = text.split(separator: "\n").first, line.hasPrefix("listening on http://") else {
            process.terminate()
            throw FixtureError("thorax serve did not start: \(text.debugDescription) \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }
        address = String(line.dropFirst("listening on http://".count))
    }

    /// Sends SIGTERM (once) and returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationReason == .exit ? process.terminationStatus : -process.terminationStatus
    }
}

/// Runs python3 from PATH with `arguments`.
func runPython(_ arguments: [String]) throws -> ThoraxOutput {
    try runTool("python3", arguments)
}

/// Runs the program `tool` from PATH with `arguments`; its standard error is read on another
/// thread while standard output is read here, so neither pipe can fill and stall the tool.
func runTool(_ tool: String, _ arguments: [String]) throws -> ThoraxOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let errorData = ErrorBytes()
    let reader = Thread { errorData.set(error.fileHandleForReading.readDataToEndOfFile()) }
    reader.start()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ThoraxOutput(status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
                        standardError: String(decoding: errorData.wait(), as: UTF8.self))
}

/// The standard error bytes a reader thread hands over once the pipe closes.
// @unchecked Sendable: `data` is written once under `condition` and read after it is signalled.
private final class ErrorBytes: @unchecked Sendable {
    private let condition = NSCondition()
    private var data: Data?
    func set(_ value: Data) { condition.lock(); data = value; condition.signal(); condition.unlock() }
    func wait() -> Data {
        condition.lock(); defer { condition.unlock() }
        while data == nil { condition.wait() }
        return data!
    }
}

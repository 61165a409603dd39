import Foundation
import Imaging
import Store
import TestSupport
import XCTest

/// End to end over a socket: the real dicomweb-client (PyPI) against DICOMwebFixtureServer, the
/// DICOMweb routes with the bundled model on an ephemeral port, then SIGTERM and a clean exit.
/// It stores the shared NIH DICOMs and a decoder fixture of every transfer syntax the decoder
/// reads, searches, and retrieves instances, metadata, rendered images and the results; the
/// results it retrieved are then read by dcmtk (dsrdump, dcmdump) without warnings.
final class DICOMwebClientTests: XCTestCase {
    func testDICOMwebClientStoresSearchesAndRetrieves() throws {
        guard let nih = SharedData.url("nih/dicom") else {
            throw XCTSkip("the shared NIH DICOMs (nih/dicom) are not here; set THORAX_SHARED_DATA")
        }
        let directory = try SharedData.temporaryDirectory("thorax-dicomweb-e2e")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try DICOMwebServerProcess(database: directory.appendingPathComponent("thorax.sqlite").path,
                                               dataDirectory: directory.appendingPathComponent("data").path, token: "e2e-token")
        defer { server.stop() }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/dicomweb-client.py")
        let output = try runProcess("python3", [script.path, "http://\(server.address)/dicom-web", "e2e-token", nih.path,
                                                DecoderFixtures.directory.path, directory.path] + DecoderFixtures.perTransferSyntax)
        guard output.status == 0 else {
            throw FixtureError("dicomweb-client.py failed (\(output.status)); pip install dicomweb-client highdicom if missing:\n\(output.standardError)")
        }
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any])

        // Four NIH files are different images under one SOP Instance UID: the first is stored,
        // the other three refused as duplicates (0111), then stored under fresh UIDs.
        let nihResult = try XCTUnwrap(json["nih"] as? [String: Any])
        let sent = try XCTUnwrap(nihResult["sent"] as? [String])
        XCTAssertEqual(sent.count, 6)
        var unique: [String] = []
        for uid in sent where !unique.contains(uid) { unique.append(uid) }
        XCTAssertEqual(nihResult["stored"] as? [String], unique)
        let refused = try XCTUnwrap(nihResult["failed"] as? [[Any]])
        XCTAssertEqual(refused.count, sent.count - unique.count)
        XCTAssertEqual(Set(refused.compactMap { $0.last as? Int }), [0x0111])
        let renamed = try XCTUnwrap(json["nih_renamed"] as? [String: Any])
        XCTAssertEqual(renamed["stored"] as? [String], renamed["sent"] as? [String])
        XCTAssertEqual((renamed["failed"] as? [Any])?.count, 0)
        for trip in try XCTUnwrap(json["nih_round_trips"] as? [[String: Any]]) {
            XCTAssertEqual(trip["pixels_equal"] as? Bool, true)
            XCTAssertEqual(trip["transfer_syntax"] as? String, trip["sent_transfer_syntax"] as? String)
        }
        let fixtures = try XCTUnwrap(json["fixtures"] as? [String: [String: Any]])
        XCTAssertEqual(Set(fixtures.keys), Set(DecoderFixtures.perTransferSyntax))
        var syntaxes = Set<String>()
        for (name, fixture) in fixtures {
            XCTAssertEqual(fixture["stored"] as? Bool, true, "\(name) is stored (failure \(fixture["failure"] ?? "none"))")
            XCTAssertEqual(fixture["pixels_equal"] as? Bool, true, "\(name) comes back with its pixel data")
            XCTAssertEqual(fixture["transfer_syntax"] as? String, fixture["sent_transfer_syntax"] as? String, name)
            if let syntax = fixture["transfer_syntax"] as? String { syntaxes.insert(syntax) }
        }
        XCTAssertEqual(syntaxes, DICOMTransferSyntax.decoded, "a fixture of every transfer syntax the decoder reads")
        XCTAssertEqual(((json["stored_again"] as? [String: Any])?["stored"] as? [String]), [sent[0]])

        // The NIH files are of three studies; the fixtures were made from one of them.
        XCTAssertEqual(json["studies"] as? Int, 3)
        XCTAssertEqual(json["studies_with_sr"] as? Int, 3, "every study holds its instances' reports")
        XCTAssertEqual(json["studies_page"] as? Int, 2)
        XCTAssertTrue((json["studies_of_patient_1"] as? [String])?.contains("1.3.6.1.4.1.11129.5.5.111396399361969898205364400549799252857604") ?? false)
        let modalities = try XCTUnwrap(json["series_modalities"] as? [String])
        XCTAssertTrue(modalities.contains("DX") && modalities.contains("SR"), "\(modalities)")

        let report = try XCTUnwrap(json["report"] as? [String: Any])
        XCTAssertEqual(report["sop_class_uid"] as? String, "1.2.840.10008.5.1.4.1.1.88.33")
        XCTAssertEqual(report["is_measurement_report"] as? Bool, true, "highdicom reads the report as TID 1500")
        XCTAssertEqual((report["findings"] as? [String])?.count, 14)
        XCTAssertEqual(report["source"] as? String, sent[0])
        let figures = try XCTUnwrap(json["figures"] as? Int)
        XCTAssertEqual(report["regions"] as? Int ?? 0 > 0, figures > 0, "boxes exist where figures do")
        if figures > 0 {
            let figure = try XCTUnwrap(json["figure"] as? [String: Any])
            XCTAssertEqual(figure["shape"] as? [Int], [1024, 1024, 3], "pydicom decodes the figure's pixels")
            XCTAssertEqual(figure["photometric_interpretation"] as? String, "RGB")
            try assertDcmtkReads(directory.appendingPathComponent("figure.dcm"), report: false)
        }
        try assertDcmtkReads(directory.appendingPathComponent("report.dcm"), report: true)
        let metadata = try XCTUnwrap(json["metadata"] as? [String: Any])
        XCTAssertEqual(metadata["rows"] as? Int, 1024)
        XCTAssertEqual(metadata["has_pixel_data"] as? Bool, false, "pixel data is bulk data, left out of metadata")
        XCTAssertGreaterThan(json["report_metadata_items"] as? Int ?? 0, 3)
        XCTAssertEqual(json["rendered"] as? [String: Bool], ["png": true, "jpeg": true])
        XCTAssertEqual(json["missing"] as? Int, 404)

        // The files the service wrote, byte for byte, read as well.
        let database = try ThoraxDatabase(existingAt: directory.appendingPathComponent("thorax.sqlite").path)
        let stored = try database.storedDICOMInstances(study: try XCTUnwrap(report["study_instance_uid"] as? String))
        for instance in stored where instance.derivedFrom != nil {
            try assertDcmtkReads(URL(fileURLWithPath: instance.path), report: instance.sopClassUID.hasSuffix(".88.33"))
        }
        XCTAssertEqual(server.stop(), 0, "SIGTERM ends the server gracefully with status 0")
    }

    /// dcmdump (and dsrdump for a report) read `file` with status 0 and no warning or error.
    func assertDcmtkReads(_ file: URL, report: Bool, line: UInt = #line) throws {
        for tool in report ? ["dcmdump", "dsrdump"] : ["dcmdump"] {
            let output = try runProcess(tool, [file.path])
            XCTAssertEqual(output.status, 0, "\(tool) \(file.lastPathComponent): \(output.standardError)", line: line)
            let complaints = (output.standardOutput + output.standardError).split(separator: "\n")
                .filter { $0.hasPrefix("W:") || $0.hasPrefix("E:") }
            XCTAssertEqual(complaints, [], "\(tool) \(file.lastPathComponent)", line: line)
        }
    }
}

/// DICOMwebFixtureServer (built next to the tests) on an ephemeral port.
final class DICOMwebServerProcess {
    let process = Process()
    let address: String

    init(database: String, dataDirectory: String, token: String) throws {
        let candidates = [
            Bundle(for: DICOMwebServerProcess.self).bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        ].map { $0.appendingPathComponent("DICOMwebFixtureServer") }
        guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw FixtureError("DICOMwebFixtureServer is not built next to the tests (looked at \(candidates.map(\.path)))")
        }
        process.executableURL = binary
        process.arguments = ["--port", "0", "--token", token, "--database", database, "--data-directory", dataDirectory]
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
            throw FixtureError("DICOMwebFixtureServer did not start: \(text.debugDescription)")
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

/// Runs `executable` from PATH, reading both pipes to their end before waiting.
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

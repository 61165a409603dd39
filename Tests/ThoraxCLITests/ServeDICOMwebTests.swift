import Foundation
import Store
import TestSupport
import XCTest

/// `thorax serve`'s DICOMweb end to end over a socket: the real dicomweb-client (PyPI, driven by
/// Tests/DICOMwebTests/Scripts/dicomweb-client.py) stores the shared NIH DICOMs and a decoder
/// fixture of every transfer syntax the decoder reads, searches, and retrieves instances,
/// metadata, rendered images and the results; every frame of every stored image comes back
/// uncompressed (WADO-RS frames) as pydicom decodes it, and the metadata's Pixel Data
/// BulkDataURI serves the pixels; dcmtk (dsrdump, dcmdump) then reads the results it retrieved,
/// and those the service wrote, without a warning; every stored image ran through the served
/// model's one batcher (/metrics); SIGTERM ends the server with 0.
final class ServeDICOMwebTests: XCTestCase {
    /// One fixture of Tests/ImagingTests/Fixtures per transfer syntax the decoder reads, and
    /// two of two frames (native and RLE).
    static let fixtures = [
        "implicit-le16.dcm", "base16.dcm", "deflated16.dcm", "explicit-be16.dcm", "jpeg-baseline8.dcm",
        "jpeg-extended12.dcm", "jpeg-lossless-sv1-16.dcm", "jpeg-lossless-sv7-8.dcm", "jpeg-ls-lossless16.dcm",
        "jpeg-ls-near16.dcm", "j2k-lossless16.dcm", "j2k-lossy16.dcm", "rle16.dcm", "two-frames.dcm", "rle-two-frames.dcm",
    ]
    /// Fixtures whose frames the server decodes and pydicom (with Pillow and pyjpegls) decodes
    /// too, so that both must agree byte for byte.
    static let decodedByBoth: Set<String> = [
        "rle16.dcm", "rle-two-frames.dcm", "jpeg-ls-lossless16.dcm", "jpeg-ls-near16.dcm", "j2k-lossless16.dcm",
        "j2k-lossy16.dcm",
    ]
    /// Imaging's DICOMTransferSyntax.decoded.
    static let decodedSyntaxes: Set<String> = [
        "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.4.50",
        "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80",
        "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.5",
    ]

    func testDICOMwebClientStoresSearchesAndRetrieves() throws {
        guard let nih = SharedData.url("nih/dicom") else {
            throw XCTSkip("the shared NIH DICOMs (nih/dicom) are not here; set THORAX_SHARED_DATA")
        }
        let directory = try SharedData.temporaryDirectory("serve-dicomweb")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("thorax.sqlite")
        let tokenFile = directory.appendingPathComponent("token")
        try Data("e2e-dicomweb-token\n".utf8).write(to: tokenFile)
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let server = try ServeProcess(["serve", "--database", database.path, "--data-directory", data.path, "--port", "0",
                                       "--token-file", tokenFile.path], in: directory)
        defer { server.stop() }
        let script = SharedData.repositoryRoot.appendingPathComponent("Tests/DICOMwebTests/Scripts/dicomweb-client.py")
        let fixtureFolder = SharedData.repositoryRoot.appendingPathComponent("Tests/ImagingTests/Fixtures")
        let output = try runPython([script.path, "http://\(server.address)/dicom-web", "e2e-dicomweb-token", nih.path, fixtureFolder.path,
                                    directory.path] + Self.fixtures)
        guard output.status == 0 else {
            throw FixtureError("dicomweb-client.py failed (\(output.status)); pip install dicomweb-client highdicom if missing:\n\(output.standardError)")
        }
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any])

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
        let nihFrames = try XCTUnwrap(json["nih_frames"] as? [[String: Any]])
        XCTAssertEqual(nihFrames.count, 6)
        for frames in nihFrames {
            XCTAssertEqual(frames["frames"] as? Int, 1)
            XCTAssertEqual(frames["equal"] as? Bool, true, "an NIH frame is pydicom's pixel array")
        }
        let fixtures = try XCTUnwrap(json["fixtures"] as? [String: [String: Any]])
        XCTAssertEqual(Set(fixtures.keys), Set(Self.fixtures))
        var syntaxes = Set<String>()
        for (name, fixture) in fixtures {
            XCTAssertEqual(fixture["stored"] as? Bool, true, "\(name) is stored (failure \(fixture["failure"] ?? "none"))")
            XCTAssertEqual(fixture["pixels_equal"] as? Bool, true, "\(name) comes back with its pixel data")
            XCTAssertEqual(fixture["transfer_syntax"] as? String, fixture["sent_transfer_syntax"] as? String, name)
            if let syntax = fixture["transfer_syntax"] as? String { syntaxes.insert(syntax) }
            XCTAssertEqual(fixture["frames"] as? Int, name.contains("two-frames") ? 2 : 1, name)
            if Self.decodedByBoth.contains(name) {
                XCTAssertEqual(fixture["equal"] as? Bool, true, "\(name): frames decoded by the server are pydicom's")
            } else if let equal = fixture["equal"] as? Bool {
                // Native ones, and JPEG baseline (libjpeg-turbo both sides).
                XCTAssertTrue(equal, "\(name): frames are pydicom's pixel array")
            }
        }
        let compared = fixtures.filter { $0.value["equal"] is Bool }.map(\.key)
        XCTAssertTrue(Self.decodedByBoth.isSubset(of: compared), "compared: \(compared.sorted())")
        XCTAssertEqual(syntaxes, Self.decodedSyntaxes, "a fixture of every transfer syntax the decoder reads")
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
        XCTAssertEqual(metadata["has_inline_pixel_data"] as? Bool, false, "pixel data is bulk data, left out of metadata")
        XCTAssertTrue((metadata["pixel_data_uri"] as? String)?.hasSuffix("/bulkdata/7FE00010") ?? false, "\(metadata)")
        XCTAssertEqual(metadata["bulk_parts"] as? Int, 1)
        XCTAssertEqual(metadata["bulk_equal"] as? Bool, true, "the BulkDataURI serves the pixels")
        XCTAssertEqual(json["missing_frame"] as? Int, 404)
        // Every new image stored was predicted through the served model's batcher: the NIH
        // images (stored, then the renamed ones) and the fixtures; the repeated store predicts nothing.
        let predicted = (nihResult["stored"] as? [String] ?? []).count + (renamed["stored"] as? [String] ?? []).count
            + fixtures.count
        XCTAssertEqual(json["batched_images"] as? Double, Double(predicted), "DICOMweb predicts with the served model")
        XCTAssertGreaterThan(json["report_metadata_items"] as? Int ?? 0, 3)
        XCTAssertEqual(json["rendered"] as? [String: Bool], ["png": true, "jpeg": true])
        XCTAssertEqual(json["missing"] as? Int, 404)

        // The files the service wrote, byte for byte, read as well.
        let stored = try ThoraxDatabase(existingAt: database.path)
            .storedDICOMInstances(study: try XCTUnwrap(report["study_instance_uid"] as? String))
        for instance in stored where instance.derivedFrom != nil {
            try assertDcmtkReads(URL(fileURLWithPath: instance.path), report: instance.sopClassUID.hasSuffix(".88.33"))
        }
        XCTAssertEqual(server.stop(), 0, "SIGTERM ends the server gracefully with status 0")
    }

    /// dcmdump (and dsrdump for a report) read `file` with status 0 and no warning or error.
    func assertDcmtkReads(_ file: URL, report: Bool, line: UInt = #line) throws {
        for tool in report ? ["dcmdump", "dsrdump"] : ["dcmdump"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [tool, file.path]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, "\(tool) \(file.lastPathComponent): \(text.suffix(2000))", line: line)
            let complaints = text.split(separator: "\n").filter { $0.hasPrefix("W:") || $0.hasPrefix("E:") }
            XCTAssertEqual(complaints, [], "\(tool) \(file.lastPathComponent)", line: line)
        }
    }
}

import Foundation
import Store
import TestSupport
import XCTest

/// Real DICOM files as `thorax serve` request bodies, over a socket
/// (Tests/ServiceTests/Scripts/serve-dicom-client.py): the shared NIH DICOMs posted to
/// /v1/predict as application/dicom and sent as an OIP BYTES tensor (tritonclient) give the
/// probabilities `thorax predict --json` gives for the same files; a truncated one gets 400 with a
/// JSON error. Broken copies whose Patient's Name and Patient ID are distinctive strings, stored
/// over STOW-RS, posted and inferred, are refused without either string in any response or in
/// the server's log, and store nothing.
final class ServeDICOMBodiesTests: XCTestCase {
    static let patientName = "Zyxwvut^Quillfeather"
    static let patientID = "PID-QX-90210-SECRET"
    /// The strings, and the parts of them, that must appear nowhere.
    static let secrets = ["Zyxwvut", "Quillfeather", "PID-QX", "90210"]

    func testDICOMBodiesArePredictedAsPredictDoesAndBrokenOnesLeakNoPatientData() throws {
        guard let nih = SharedData.url("nih/dicom") else {
            throw XCTSkip("the shared NIH DICOMs (nih/dicom) are not here; set THORAX_SHARED_DATA")
        }
        let files = ["test2.dcm", "test3.dcm"].map { nih.appendingPathComponent($0).path }
        let directory = try SharedData.temporaryDirectory("serve-dicom-bodies")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("thorax.sqlite")
        let tokenFile = directory.appendingPathComponent("token")
        try Data("e2e-dicom-token\n".utf8).write(to: tokenFile)
        let server = try ServeProcess(["serve", "--database", database.path, "--port", "0", "--token-file", tokenFile.path],
                                      in: directory)
        defer { server.stop() }
        let script = SharedData.repositoryRoot.appendingPathComponent("Tests/ServiceTests/Scripts/serve-dicom-client.py")
        let client = try runPython([script.path, server.address, "e2e-dicom-token", Self.patientName, Self.patientID] + files)
        guard client.status == 0 else {
            throw FixtureError("serve-dicom-client.py failed (\(client.status)); pip install 'tritonclient[http]' pydicom if missing:\n\(client.standardError)")
        }
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(client.standardOutput.utf8)) as? [String: Any])

        let predicted = try runThorax(["predict", "--json"] + files, in: directory)
        XCTAssertEqual(predicted.status, 0, predicted.standardError)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(predicted.standardOutput.utf8)) as? [String: Any])
        let expected = try XCTUnwrap(report["predictions"] as? [[String: Any]]).map(Self.probabilities)
        XCTAssertEqual(expected.count, 2)
        let v1 = try XCTUnwrap(json["v1"] as? [[String: Any]])
        XCTAssertEqual(v1.map { $0["status"] as? Int }, [200, 200])
        let plain = v1.map { Self.probabilities(($0["body"] as? [String: Any]) ?? [:]) }
        let oip = try XCTUnwrap(json["oip"] as? [[Double]], "\(json["oip"] ?? "nothing")")
        for (rows, label) in [(plain, "/v1/predict application/dicom"), (oip, "OIP BYTES")] {
            XCTAssertEqual(rows.count, expected.count, label)
            for (row, want) in zip(rows, expected) {
                XCTAssertEqual(row.count, 14, label)
                for (a, b) in zip(row, want) { XCTAssertEqual(a, b, accuracy: 1e-5, label) }
            }
        }
        let truncated = try XCTUnwrap(json["v1_truncated"] as? [String: Any])
        XCTAssertEqual(truncated["status"] as? Int, 400)
        XCTAssertEqual(truncated["content_type"] as? String, "application/json")
        let message = ((truncated["body"] as? [String: Any])?["error"] as? String) ?? ""
        XCTAssertTrue(message.hasPrefix("the request body: DICOM: ") && message.contains("truncated"), message)
        let oipTruncated = try XCTUnwrap(json["oip_truncated"] as? [String: Any])
        XCTAssertEqual(oipTruncated["status"] as? String, "400")
        XCTAssertTrue((oipTruncated["message"] as? String)?.contains("element 2") ?? false, "\(oipTruncated)")

        let broken = try XCTUnwrap(json["broken"] as? [String: [String: Any]])
        XCTAssertEqual(broken.count, 5)
        for (kind, answers) in broken {
            let stow = try XCTUnwrap(answers["stow"] as? [String: Any])
            XCTAssertEqual(stow["status"] as? Int, 409, "\(kind): the only instance failed: \(stow)")
            if kind != "uid_holds_name" {
                // A valid image under a UID holding a name is still predicted by /v1/predict and OIP.
                XCTAssertEqual((answers["v1"] as? [String: Any])?["status"] as? Int, 400, "\(kind)")
                XCTAssertEqual((answers["oip"] as? [String: Any])?["status"] as? String, "400", "\(kind)")
            }
            let text = String(decoding: try JSONSerialization.data(withJSONObject: answers), as: UTF8.self)
            for secret in Self.secrets {
                XCTAssertFalse(text.contains(secret), "\(kind): \(secret) in a response: \(text)")
            }
        }
        XCTAssertEqual(server.stop(), 0)
        let log = try String(contentsOf: server.log, encoding: .utf8)
        XCTAssertTrue(log.contains("instance not stored"), log)
        for secret in Self.secrets {
            XCTAssertFalse(log.contains(secret), "\(secret) in the server's log: \(log.split(separator: "\n").filter { $0.contains(secret) })")
        }
        XCTAssertEqual(try ThoraxDatabase(existingAt: database.path).dicomStoreCounts().instances, 0, "nothing broken was stored")
    }

    static func probabilities(_ answer: [String: Any]) -> [Double] {
        ((answer["classes"] as? [[String: Any]]) ?? []).compactMap { ($0["probability"] as? NSNumber)?.doubleValue }
    }
}

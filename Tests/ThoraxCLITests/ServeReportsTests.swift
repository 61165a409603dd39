import Foundation
import TestSupport
import XCTest

/// SR reports arriving through STOW-RS at `thorax serve`, sent by the real dicomweb-client: an
/// Enhanced and a Comprehensive SR made by highdicom and a Basic Text SR made by dcmtk's xml2dsr
/// (`HospitalReportsTests.writers`) are stored, retrievable over WADO-RS and found over QIDO-RS,
/// and filed as their studies' reports with the labels of the same text imported as plain text;
/// an SR without text in the same request fails alone (C000); Thorax's own SR, sent back as a
/// PACS sends a study back, is stored and never read as a report.
final class ServeReportsTests: XCTestCase {
    /// argv: URL TOKEN OUT NIH. Stores NIH test2.dcm, then the reports of OUT/reports with a
    /// malformed SR, then Thorax's SR of the image (unchanged, and under a fresh UID); prints JSON.
    static let client = #"""
import json, sys
import pydicom
from dicomweb_client.api import DICOMwebClient
from pydicom.uid import generate_uid
url, token, out, nih = sys.argv[1:5]
client = DICOMwebClient(url=url, headers={"Authorization": f"Bearer {token}"}, timeout=900)
def store(datasets):
    response = client.store_instances(datasets)
    return ([item.ReferencedSOPInstanceUID for item in response.get("ReferencedSOPSequence", [])],
            [[item.ReferencedSOPInstanceUID, int(item.FailureReason)] for item in response.get("FailedSOPSequence", [])])
result = {}
image = pydicom.dcmread(f"{nih}/test2.dcm")
result["image"] = store([image])
reports = [pydicom.dcmread(f"{out}/reports/{name}.dcm") for name in ["enhanced", "comprehensive", "basic"]]
bad = pydicom.dcmread(f"{out}/reports/comprehensive.dcm")
bad.SOPInstanceUID = bad.file_meta.MediaStorageSOPInstanceUID = generate_uid()
del bad.ContentSequence
result["bad"] = bad.SOPInstanceUID
result["sent"] = [ds.SOPInstanceUID for ds in reports]
result["stored"], result["failed"] = store(reports + [bad])
result["round_trips"] = [client.retrieve_instance(ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID) == ds
                         for ds in reports]
result["found"] = [any(found["00080018"]["Value"][0] == ds.SOPInstanceUID
                       for found in client.search_for_instances(study_instance_uid=ds.StudyInstanceUID)) for ds in reports]
own = [found for found in client.search_for_instances(study_instance_uid=image.StudyInstanceUID)
       if found["00080016"]["Value"][0] == "1.2.840.10008.5.1.4.1.1.88.33"]
result["own_results"] = len(own)
sr = client.retrieve_instance(image.StudyInstanceUID, own[0]["0020000E"]["Value"][0], own[0]["00080018"]["Value"][0])
result["own_again"] = store([sr])
sr.SOPInstanceUID = sr.file_meta.MediaStorageSOPInstanceUID = generate_uid()
result["own_renamed"] = [sr.SOPInstanceUID, store([sr])]
print(json.dumps(result))
"""#

    /// argv: DATABASE. Each report of the collections "dicomweb" and "plain": its study, text and labels.
    static let reader = #"""
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
reports = {}
for id, source, identifier, text, study in db.execute(
        "SELECT r.id, r.source, r.identifier, r.text, s.identifier FROM reports r LEFT JOIN studies s ON s.id = r.study_id"):
    labels = sorted(db.execute("SELECT class, value, evidence FROM labels WHERE report_id = ? AND source = 'labeller'", (id,)))
    reports.setdefault(source, {})[identifier] = {"study": study, "text": text, "labels": labels}
print(json.dumps(reports))
"""#

    func testSRReportsStoredOverSTOWAreFiledAndLabelledAsTheirText() throws {
        guard let nih = SharedData.url("nih/dicom") else {
            throw XCTSkip("the shared NIH DICOMs (nih/dicom) are not here; set THORAX_SHARED_DATA")
        }
        let directory = try SharedData.temporaryDirectory("serve-reports")
        defer { try? FileManager.default.removeItem(at: directory) }
        let basicStudy = "1.2.826.0.1.3680043.10.1.61.1"
        let made = try runPython(["-c", HospitalReportsTests.writers, directory.path, nih.path, basicStudy,
                                  HospitalReportsTests.studies["noFinding"]!])
        guard made.status == 0 else {
            throw FixtureError("writing the reports failed (pip install highdicom hl7; dcmtk's xml2dsr):\n\(made.standardError)")
        }
        let ids = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(made.standardOutput.utf8)) as? [String: Any])
        let database = directory.appendingPathComponent("thorax.sqlite")
        let tokenFile = directory.appendingPathComponent("token")
        try Data("e2e-reports-token\n".utf8).write(to: tokenFile)
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let server = try ServeProcess(["serve", "--database", database.path, "--data-directory", data.path, "--port", "0",
                                       "--token-file", tokenFile.path], in: directory)
        defer { server.stop() }
        let output = try runPython(["-c", Self.client, "http://\(server.address)/dicom-web", "e2e-reports-token", directory.path, nih.path])
        guard output.status == 0 else {
            throw FixtureError("the dicomweb-client script failed (\(output.status)):\n\(output.standardError)")
        }
        XCTAssertEqual(server.stop(), 0)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any])
        let sent = try XCTUnwrap(json["sent"] as? [String])
        XCTAssertEqual(sent, [ids["enhanced"] as? String, ids["comprehensive"] as? String, ids["basic"] as? String].compactMap { $0 })
        XCTAssertEqual(json["stored"] as? [String], sent, "every report SR is stored")
        let failed = try XCTUnwrap(json["failed"] as? [[Any]])
        XCTAssertEqual(failed.count, 1)
        XCTAssertEqual(failed.first?.first as? String, json["bad"] as? String)
        XCTAssertEqual(failed.first?.last as? Int, 0xC000, "an SR without text fails alone")
        XCTAssertEqual(json["round_trips"] as? [Bool], [true, true, true], "WADO-RS returns each report as stored")
        XCTAssertEqual(json["found"] as? [Bool], [true, true, true], "QIDO-RS finds each report in its study")
        XCTAssertEqual(json["own_results"] as? Int, 1, "the image got Thorax's SR")
        let again = try XCTUnwrap(json["own_again"] as? [Any])
        XCTAssertEqual((again.first as? [String])?.count, 1, "Thorax's SR sent back is a success that changes nothing")
        XCTAssertEqual((again.last as? [Any])?.count, 0)
        let renamed = try XCTUnwrap(json["own_renamed"] as? [Any])
        XCTAssertEqual(((renamed.last as? [Any])?.first as? [String]), [try XCTUnwrap(renamed.first as? String)],
                       "Thorax's SR under another UID is stored as an instance")

        // The plain texts of the same reports, imported by `db import-reports`, label alike.
        let imported = try runThorax(["db", "import-reports", "--database", database.path, "--source", "plain", "plain"], in: directory)
        XCTAssertEqual(imported.status, 0, imported.standardError)
        let read = try runPython(["-c", Self.reader, database.path])
        XCTAssertEqual(read.status, 0, read.standardError)
        let reports = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(read.standardOutput.utf8)) as? [String: [String: [String: Any]]])
        let stow = try XCTUnwrap(reports["dicomweb"])
        XCTAssertEqual(Set(stow.keys), Set(sent), "the three SRs are reports, neither the malformed one nor Thorax's own")
        let plain = try XCTUnwrap(reports["plain"])
        let studies = [sent[0]: HospitalReportsTests.studies["cardiomegaly"]!, sent[1]: HospitalReportsTests.studies["effusion"]!,
                       sent[2]: basicStudy]
        for uid in sent {
            let report = try XCTUnwrap(stow[uid]), text = try XCTUnwrap(plain[uid])
            XCTAssertEqual(report["study"] as? String, studies[uid], "\(uid) is filed under its study")
            if uid == sent[1] {
                // Its "Finding" item (DCM 121071) names a FINDINGS section, so the History item
                // is left out of the report; the labels of the whole text are the same.
                XCTAssertEqual(report["text"] as? String, "FINDINGS: Right lower lobe pneumonia.", uid)
            } else {
                XCTAssertEqual(report["text"] as? String, text["text"] as? String, uid)
            }
            let labels = try XCTUnwrap(report["labels"] as? [[Any]])
            XCTAssertFalse(labels.isEmpty, uid)
            XCTAssertEqual(labels.map { "\($0)" }, try XCTUnwrap(text["labels"] as? [[Any]]).map { "\($0)" }, uid)
        }
        let cardiomegaly = try XCTUnwrap(stow[sent[0]]?["labels"] as? [[Any]])
        XCTAssertTrue(cardiomegaly.contains { $0[0] as? String == "Cardiomegaly" && $0[1] as? Int == 1 }, "\(cardiomegaly)")
    }
}

import Foundation
import TestSupport
import XCTest

/// Reports as hospital systems keep them, made by real writers: an Enhanced SR and a
/// Comprehensive SR without section names by highdicom, a Basic Text SR (implicit VR) by dcmtk's
/// xml2dsr, and an HL7 v2 batch built with the PyPI hl7 package (one message malformed).
/// `thorax label` gives each the labels of the same text as a plain-text report, and
/// `db import-reports` stores them linked to the NIH DICOMs' studies, naming the bad message.
final class HospitalReportsTests: XCTestCase {
    static let studies = [
        "noFinding": "1.3.6.1.4.1.11129.5.5.112507010803284478207522016832191866964708",
        "cardiomegaly": "1.3.6.1.4.1.11129.5.5.111396399361969898205364400549799252857604",
        "effusion": "1.3.6.1.4.1.11129.5.5.189886800072183603320722059194952488628637",
    ]

    /// Writes reports/ (the hospital formats) and plain/ (each report's text as ID.txt) under
    /// argv[1]; argv[2] is the NIH DICOM folder. Prints the ids made, as JSON.
    static let writers = #"""
import json, os, subprocess, sys
import hl7, highdicom as hd, pydicom
from highdicom.sr import CodedConcept, ContainerContentItem, TextContentItem, RelationshipTypeValues as R
out, nih = sys.argv[1], sys.argv[2]
os.makedirs(f"{out}/reports"); os.makedirs(f"{out}/plain")
def plain(name, text):
    open(f"{out}/plain/{name}.txt", "w").write(text)
def evidence(file):
    source = pydicom.dcmread(f"{nih}/{file}", stop_before_pixels=True)
    source.PatientName = "Doe^Jane"
    for key in ["StudyDate", "StudyTime", "ReferringPhysicianName", "StudyID", "AccessionNumber", "PatientBirthDate"]:
        if key not in source: setattr(source, key, "")
    return source
def text(code, meaning, value):
    return TextContentItem(name=CodedConcept(code, "DCM", meaning), value=value, relationship_type=R.CONTAINS)
ids = {}

# highdicom, Enhanced SR: a FINDINGS container of TEXT items and an IMPRESSION TEXT item.
findings = ContainerContentItem(name=CodedConcept("121070", "DCM", "Findings"), relationship_type=R.CONTAINS)
findings.ContentSequence = [text("121071", "Finding", "The heart is enlarged."), text("121071", "Finding", "No pleural effusion.")]
root = ContainerContentItem(name=CodedConcept("18748-4", "LN", "Diagnostic imaging report"))
root.ContentSequence = [findings, text("121073", "Impression", "Cardiomegaly.")]
sr = hd.sr.EnhancedSR(evidence=[evidence("test2.dcm")], content=root, series_instance_uid=hd.UID(), series_number=5,
                      sop_instance_uid=hd.UID(), instance_number=1, manufacturer="Hospital RIS", is_complete=True, is_final=True)
sr.save_as(f"{out}/reports/enhanced.dcm")
ids["enhanced"] = sr.SOPInstanceUID
plain(sr.SOPInstanceUID, "FINDINGS: The heart is enlarged.\nNo pleural effusion.\nIMPRESSION: Cardiomegaly.")

# highdicom, Comprehensive SR without section containers: a TEXT item named Finding (DCM 121071) is
# read as FINDINGS, so the History item beside it is not part of the report.
root = ContainerContentItem(name=CodedConcept("18748-4", "LN", "Diagnostic imaging report"))
root.ContentSequence = [text("121060", "History", "Cough."), text("121071", "Finding", "Right lower lobe pneumonia.")]
sr = hd.sr.ComprehensiveSR(evidence=[evidence("test3.dcm")], content=root, series_instance_uid=hd.UID(), series_number=6,
                           sop_instance_uid=hd.UID(), instance_number=1, manufacturer="Hospital RIS", is_complete=True, is_final=True)
sr.save_as(f"{out}/reports/comprehensive.dcm")
ids["comprehensive"] = sr.SOPInstanceUID
plain(sr.SOPInstanceUID, "FINDINGS: Right lower lobe pneumonia.")

# dcmtk xml2dsr, Basic Text SR in implicit VR little endian.
def concept(code, scheme, meaning):
    return f"<concept><value>{code}</value><scheme><designator>{scheme}</designator></scheme><meaning>{meaning}</meaning></concept>"
def item(code, meaning, value):
    return f"<text><relationship>CONTAINS</relationship>{concept(code, 'DCM', meaning)}<value>{value}</value></text>"
uid = "1.2.826.0.1.3680043.10.1.61.3"
xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<report type="Basic Text SR"><sopclass uid="1.2.840.10008.5.1.4.1.1.88.11">BasicTextSRStorage</sopclass>
<modality>SR</modality><patient><id>61</id><name><last>Doe</last><first>Jane</first></name></patient>
<study uid="{sys.argv[3]}"><accession><number>ACC-61</number></accession></study>
<series uid="1.2.826.0.1.3680043.10.1.61.2"><number>7</number></series><instance uid="{uid}"><number>1</number></instance>
<document><completion flag="COMPLETE"></completion><verification flag="UNVERIFIED"></verification>
<content><date>2024-01-02</date><time>10:00:00</time><container flag="SEPARATE">{concept("18748-4", "LN", "Diagnostic imaging report")}
<container flag="SEPARATE"><relationship>CONTAINS</relationship>{concept("121070", "DCM", "Findings")}
{item("121071", "Finding", "Moderate right pleural effusion.")}{item("121071", "Finding", "No pneumothorax.")}</container>
<container flag="SEPARATE"><relationship>CONTAINS</relationship>{concept("121073", "DCM", "Impression")}
{item("121073", "Impression", "Effusion.")}</container></container></content></document></report>"""
open(f"{out}/basic.xml", "w").write(xml)
subprocess.run(["xml2dsr", "+ti", f"{out}/basic.xml", f"{out}/reports/basic.dcm"], check=True)
ids["basic"] = uid
plain(uid, "FINDINGS: Moderate right pleural effusion.\nNo pneumothorax.\nIMPRESSION: Effusion.")

# hl7: an ORU^R01 batch; the second message names its study by accession number only (not in
# the database), the third is an ADT message. Report text is escaped by the hl7 package.
def oru(control, accession, zds, findings, impression):
    segments = [f"MSH|^~\\&|RIS|HOSPITAL|THORAX|HOSPITAL|20240102120000||ORU^R01|{control}|P|2.5",
                "PID|1||61^^^HOSPITAL||DOE^JANE", f"OBR|1|PL-{control}|F-{control}|71020^CHEST 2 VIEWS" + "|" * 14 + accession]
    if zds: segments.append(f"ZDS|{zds}^RIS^Application^DICOM")
    message = hl7.parse("\r".join(segments))
    for index, (kind, value) in enumerate([("&GDT^FINDINGS", findings), ("&IMP^IMPRESSION", impression)]):
        segments.append(f"OBX|{index + 1}|TX|{kind}||{message.escape(value)}||||||F")
    message = hl7.parse("\r".join(segments))
    assert str(message.segment("OBX")[5]) == message.escape(findings)
    return str(message)
messages = [oru("1", "ACC-1", sys.argv[4], "Lungs are clear & the heart is normal.", "No acute disease."),
            oru("2", "ACC-2", None, "Left upper lobe mass | 3 cm.", "Mass."),
            str(hl7.parse("MSH|^~\\&|ADT|HOSPITAL|THORAX|HOSPITAL|20240102||ADT^A01|3|P|2.5\rPID|1||61"))]
open(f"{out}/reports/ris.hl7", "w").write("\r".join(messages) + "\r")
plain("ACC-1", "FINDINGS: Lungs are clear & the heart is normal.\nIMPRESSION: No acute disease.")
plain("ACC-2", "FINDINGS: Left upper lobe mass | 3 cm.\nIMPRESSION: Mass.")
ids["hl7"] = ["ACC-1", "ACC-2"]
print(json.dumps(ids))
"""#

    func testSRAndHL7ReportsAreLabelledAsTheirTextAndLinkedToTheirStudies() throws {
        guard let nih = SharedData.url("nih/dicom") else {
            throw XCTSkip("the shared NIH DICOMs (nih/dicom) are not here; set THORAX_SHARED_DATA")
        }
        let directory = try SharedData.temporaryDirectory("hospital-reports")
        defer { try? FileManager.default.removeItem(at: directory) }
        let made = try runPython(["-c", Self.writers, directory.path, nih.path, Self.studies["effusion"]!, Self.studies["noFinding"]!])
        guard made.status == 0 else {
            throw FixtureError("writing the reports failed (pip install highdicom hl7; dcmtk's xml2dsr):\n\(made.standardError)")
        }
        let ids = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(made.standardOutput.utf8)) as? [String: Any])

        // Labels: the hospital formats give the plain text's labels, report by report.
        let hospital = try runThorax(["label", "reports", "--output", "hospital.csv"], in: directory)
        XCTAssertEqual(hospital.status, 1, "the ADT message is an error: \(hospital.standardError)")
        XCTAssertTrue(hospital.standardError.contains("reports/ris.hl7: message 3: it is ADT^A01, not ORU^R01"), hospital.standardError)
        let plain = try runThorax(["label", "plain", "--output", "plain.csv"], in: directory)
        XCTAssertEqual(plain.status, 0, plain.standardError)
        func rows(_ name: String) throws -> [String: String] {
            let lines = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8).split(separator: "\n").dropFirst()
            return Dictionary(uniqueKeysWithValues: lines.map { (String($0.prefix(while: { $0 != "," })), String($0)) })
        }
        let hospitalRows = try rows("hospital.csv"), plainRows = try rows("plain.csv")
        XCTAssertEqual(hospitalRows.count, 5)
        XCTAssertEqual(hospitalRows, plainRows)
        let header = try String(contentsOf: directory.appendingPathComponent("plain.csv"), encoding: .utf8).split(separator: "\n")[0]
            .split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        func label(_ id: String, _ finding: String) throws -> String {
            let fields = try XCTUnwrap(hospitalRows[id]).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return fields[try XCTUnwrap(header.firstIndex(of: finding))]
        }
        XCTAssertEqual(try label(try XCTUnwrap(ids["enhanced"] as? String), "Cardiomegaly"), "1")
        XCTAssertEqual(try label(try XCTUnwrap(ids["enhanced"] as? String), "Effusion"), "0")
        XCTAssertEqual(try label(try XCTUnwrap(ids["comprehensive"] as? String), "Pneumonia"), "1")
        XCTAssertEqual(try label(try XCTUnwrap(ids["basic"] as? String), "Effusion"), "1")
        XCTAssertEqual(try label("ACC-2", "Mass"), "1")

        // The database: the NIH DICOMs' studies, then the reports linked to them.
        let database = directory.appendingPathComponent("thorax.sqlite").path
        let images = try runThorax(["db", "import-dicom", "--database", database, nih.path], in: directory)
        XCTAssertEqual(images.status, 1, "the NIH folder holds DICOMs sharing a SOP Instance UID: \(images.standardError)")
        let imported = try runThorax(["db", "import-reports", "--database", database, "--source", "hospital", "reports"], in: directory)
        XCTAssertEqual(imported.status, 1, imported.standardError)
        XCTAssertTrue(imported.standardError.contains("reports/ris.hl7: message 3: it is ADT^A01, not ORU^R01"), imported.standardError)
        XCTAssertTrue(imported.standardOutput.contains("read 5 reports: added 5, updated 0, unchanged 0"), imported.standardOutput)
        XCTAssertTrue(imported.standardOutput.contains("linked 4 to their studies"), imported.standardOutput)
        let links = try runPython(["-c", """
            import json, sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            print(json.dumps(dict(db.execute("SELECT r.identifier, s.identifier FROM reports r LEFT JOIN studies s ON s.id = r.study_id"))))
            """, database])
        let linked = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(links.standardOutput.utf8)) as? [String: Any])
        XCTAssertEqual(linked[try XCTUnwrap(ids["enhanced"] as? String)] as? String, Self.studies["cardiomegaly"])
        XCTAssertEqual(linked[try XCTUnwrap(ids["comprehensive"] as? String)] as? String, Self.studies["effusion"])
        XCTAssertEqual(linked[try XCTUnwrap(ids["basic"] as? String)] as? String, Self.studies["effusion"])
        XCTAssertEqual(linked["ACC-1"] as? String, Self.studies["noFinding"])
        XCTAssertTrue(linked["ACC-2"] is NSNull, "a report naming a study the database lacks stays unlinked")
        let again = try runThorax(["db", "import-reports", "--database", database, "--source", "hospital", "reports"], in: directory)
        XCTAssertTrue(again.standardOutput.contains("read 5 reports: added 0, updated 0, unchanged 5"), again.standardOutput)
    }
}

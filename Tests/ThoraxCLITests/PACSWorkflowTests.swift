import Foundation
import Store
import TestSupport
import XCTest

/// Thorax in a PACS workflow, end to end through `scripts/pacs-demo`: a modality (dcmtk's
/// storescu) sends the NIH DICOMs to Orthanc over DIMSE; Orthanc's Lua OnStableStudy has its
/// DICOMweb client send each study to `thorax serve` over STOW-RS; Thorax stores and predicts it
/// and sends its SR and Secondary Captures back (`--forward-results`). Checked through Orthanc's
/// REST API and Thorax's database: every result Thorax made is in the source's study in Orthanc,
/// nothing else arrived, and each carries the study's identifiers as the modality sent them. An
/// SR report (highdicom, of one study) sent with the images rides along: Orthanc forwards it with
/// its study and Thorax files it as the study's report, labelled. Takes about 30 s on two cores (Orthanc's StableAge of 2 s, three predictions with figures).
final class PACSWorkflowTests: XCTestCase {
    static let comprehensiveSR = "1.2.840.10008.5.1.4.1.1.88.33"
    static let secondaryCapture = "1.2.840.10008.5.1.4.1.1.7"

    /// The study of NIH test2.dcm.
    static let reportStudy = "1.3.6.1.4.1.11129.5.5.111396399361969898205364400549799252857604"

    /// argv: NIH OUT. Writes OUT/report.dcm, an Enhanced SR (highdicom) of NIH test2.dcm's study
    /// from "Hospital RIS"; prints its SOP Instance UID.
    static let reportWriter = #"""
import os, sys
import highdicom as hd, pydicom
from highdicom.sr import CodedConcept, ContainerContentItem, TextContentItem, RelationshipTypeValues as R
nih, out = sys.argv[1:3]
os.makedirs(out)
source = pydicom.dcmread(f"{nih}/test2.dcm", stop_before_pixels=True)
for key in ["StudyDate", "StudyTime", "ReferringPhysicianName", "StudyID", "AccessionNumber", "PatientBirthDate", "PatientName"]:
    if key not in source: setattr(source, key, "")
def text(code, meaning, value):
    return TextContentItem(name=CodedConcept(code, "DCM", meaning), value=value, relationship_type=R.CONTAINS)
root = ContainerContentItem(name=CodedConcept("18748-4", "LN", "Diagnostic imaging report"))
root.ContentSequence = [text("121070", "Findings", "The heart is enlarged. No pleural effusion."),
                        text("121073", "Impression", "Cardiomegaly.")]
sr = hd.sr.EnhancedSR(evidence=[source], content=root, series_instance_uid=hd.UID(), series_number=5, sop_instance_uid=hd.UID(),
                      instance_number=1, manufacturer="Hospital RIS", is_complete=True, is_final=True)
sr.save_as(f"{out}/report.dcm")
print(sr.SOPInstanceUID)
"""#

    func testOrthancSendsStudiesToThoraxAndReceivesItsResults() throws {
        guard let nih = SharedData.url("nih/dicom") else {
            throw XCTSkip("the shared NIH DICOMs (nih/dicom) are not here; set THORAX_SHARED_DATA")
        }
        let directory = try SharedData.temporaryDirectory("pacs-demo")
        defer { try? FileManager.default.removeItem(at: directory) }
        let reports = directory.appendingPathComponent("reports")
        let made = try runPython(["-c", Self.reportWriter, nih.path, reports.path])
        guard made.status == 0 else { throw FixtureError("writing the SR failed (pip install highdicom):\n\(made.standardError)") }
        let reportUID = made.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        let script = SharedData.repositoryRoot.appendingPathComponent("scripts/pacs-demo")
        let process = Process()
        process.executableURL = script
        process.arguments = ["--thorax", try thoraxExecutable().path, "--dicoms", nih.path, "--reports", reports.path,
                             "--work", directory.path,
                             "--json", "--timeout", "240"]
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let complaints = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let logs = ["thorax.log", "orthanc.log"].map { name in
                "\(name):\n" + ((try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8))?.suffix(3000) ?? "")
            }
            throw FixtureError("pacs-demo failed (\(process.terminationStatus)), install-deps installs orthanc, "
                + "orthanc-dicomweb and dcmtk:\n\(complaints)\n\(logs.joined(separator: "\n"))")
        }
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: printed) as? [String: Any])
        XCTAssertEqual(summary["complete"] as? Bool, true)
        let studies = try XCTUnwrap(summary["orthanc_studies"] as? [[String: Any]])
        XCTAssertEqual(studies.count, 3, "the six files hold three studies")

        let database = try ThoraxDatabase(existingAt: directory.appendingPathComponent("thorax.sqlite").path)
        var figures = 0
        for study in studies {
            let uid = try XCTUnwrap(study["study_instance_uid"] as? String)
            let series = try XCTUnwrap(study["series"] as? [[String: Any]])
            let fromModality = series.filter { $0["manufacturer"] as? String != "Thorax" && $0["modality"] as? String != "SR" }
            let fromRIS = series.filter { $0["manufacturer"] as? String == "Hospital RIS" }
            let reportsSent = fromRIS.flatMap { $0["instances"] as? [[String: Any]] ?? [] }.compactMap { $0["sop_instance_uid"] as? String }
            XCTAssertEqual(reportsSent, uid == Self.reportStudy ? [reportUID] : [], "the report SR is in its study in Orthanc")
            let fromThorax = series.filter { $0["manufacturer"] as? String == "Thorax" }
            XCTAssertEqual(fromModality.count, 1, uid)
            let sources = fromModality.flatMap { $0["instances"] as? [[String: Any]] ?? [] }
            XCTAssertEqual(sources.count, 1, uid)
            let source = try XCTUnwrap(sources.first)
            let results = fromThorax.flatMap { $0["instances"] as? [[String: Any]] ?? [] }
            XCTAssertEqual(fromThorax.filter { $0["modality"] as? String == "SR" }.count, 1, "one report series in \(uid)")
            XCTAssertEqual(results.filter { $0["sop_class_uid"] as? String == Self.comprehensiveSR }.count, 1, uid)
            let captures = results.filter { $0["sop_class_uid"] as? String == Self.secondaryCapture }
            XCTAssertEqual(captures.count + 1, results.count, "only the report and figures come back to \(uid)")
            figures += captures.count

            // What Thorax made and filed is what arrived in Orthanc, and the source is Orthanc's.
            let stored = try database.storedDICOMInstances(study: uid)
            XCTAssertEqual(Set(stored.filter { $0.derivedFrom != nil }.map(\.sopInstanceUID)),
                           Set(results.compactMap { $0["sop_instance_uid"] as? String }), uid)
            XCTAssertEqual(Set(stored.filter { $0.derivedFrom == nil }.map(\.sopInstanceUID)),
                           Set([try XCTUnwrap(source["sop_instance_uid"] as? String)] + reportsSent), "images and the report SR stored")

            // Privacy: each result carries the study's identifiers as received, and no other
            // (a type 2 attribute the source lacks is present but empty).
            func values(_ instance: [String: Any]) throws -> [String: String] {
                try XCTUnwrap(instance["identity"] as? [String: Any]).compactMapValues { value in
                    (value as? String).flatMap { $0.isEmpty ? nil : $0 }
                }
            }
            let sourceIdentity = try values(source)
            XCTAssertNotNil(sourceIdentity["PatientID"])
            for result in results {
                XCTAssertEqual(try values(result), sourceIdentity, "the identifiers of a result in \(uid)")
            }
        }
        let thorax = try XCTUnwrap(summary["thorax"] as? [String: Int])
        XCTAssertEqual(thorax["studies"], 3)
        XCTAssertEqual(thorax["images stored"], 3)
        XCTAssertEqual(thorax["results made"], 3 + figures, "a report per image and its figures")
        XCTAssertEqual(thorax["predictions"], 3 * 14, "each image's probabilities of the 14 classes")
        XCTAssertEqual(thorax["reports"], 1, "the hospital's SR is a report; Thorax's own SRs are not")
        XCTAssertEqual(thorax["reports linked"], 1)
        let report = try XCTUnwrap(try database.reportSummaries().first)
        XCTAssertEqual(report.identifier, reportUID)
        XCTAssertEqual(report.positives, ["Cardiomegaly"], "labelled as its text")
    }
}

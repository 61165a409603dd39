@testable import DICOMResults
import Foundation
@testable import Imaging
import XCTest

final class MeasurementReportTests: XCTestCase {
    /// dcmtk's SR reader and its dump of the data set both accept the report, with defined
    /// and with undefined sequence lengths, and print nothing on stderr (no warning, no error).
    func testDcmtkReadsTheReportWithoutWarnings() throws {
        for length in [Part10Writer.SequenceLength.defined, .undefined] {
            let file = try writeTemporary(try Samples.report().encoded(writer: Part10Writer(sequenceLength: length)), name: "sr.dcm")
            let structured = try ExternalReaders.run("dsrdump", ["+Pc", "+Pt", "+Pl", file.path])
            XCTAssertEqual(structured.status, 0, structured.standardError)
            XCTAssertEqual(structured.standardError, "", "dsrdump warned (\(length))")
            let text = structured.standardOutput
            XCTAssertTrue(text.contains("Comprehensive SR Document"), text)
            XCTAssertTrue(text.contains("Imaging Measurement Report"), text)
            XCTAssertTrue(text.contains("NOT FOR CLINICAL USE"), text)
            XCTAssertTrue(text.contains("POLYLINE"), text)
            for name in Samples.classNames { XCTAssertTrue(text.contains(name), "\(name) missing from dsrdump") }

            let dump = try ExternalReaders.run("dcmdump", [file.path])
            XCTAssertEqual(dump.status, 0, dump.standardError)
            XCTAssertEqual(dump.standardError, "", "dcmdump warned (\(length))")
            XCTAssertTrue(dump.standardOutput.contains("Little Endian Explicit"))
        }
    }

    /// highdicom reads the document as a TID 1500 measurement report: the observer device,
    /// one TID 1501 group per class with its probability and present/absent, and one TID
    /// 1410 group per box, a closed 5-point polyline on the source image.
    func testHighdicomReadsAMeasurementReport() throws {
        let report = Samples.report()
        let file = try writeTemporary(try report.encoded(), name: "sr.dcm")
        let json = try ExternalReaders.readResults(["sr", file.path])
        XCTAssertEqual(json["sop_class_uid"] as? String, MeasurementReport.sopClassUID)
        XCTAssertEqual(json["study_instance_uid"] as? String, Samples.source.studyInstanceUID)
        XCTAssertNotEqual(json["series_instance_uid"] as? String, Samples.source.seriesInstanceUID, "a new series")
        XCTAssertEqual(json["template"] as? String, "1500")
        XCTAssertEqual(json["title"] as? [String], ["126000", "DCM", "Imaging Measurement Report"])

        let observers = try XCTUnwrap(json["observers"] as? [[String: Any]])
        XCTAssertEqual(observers.count, 1)
        XCTAssertEqual(observers.first?["type"] as? [String], ["121007", "DCM", "Device"])
        XCTAssertEqual(observers.first?["uid"] as? String, Samples.algorithm.deviceUID)
        XCTAssertEqual(observers.first?["name"] as? String, Samples.algorithm.name)
        XCTAssertEqual(observers.first?["manufacturer"] as? String, "Thorax")

        let findings = try XCTUnwrap(json["findings"] as? [[String: Any]])
        XCTAssertEqual(findings.map { $0["tracking_identifier"] as? String }, Samples.classNames)
        for (finding, expected) in zip(findings, Samples.findings) {
            let code = FindingCodes.concept(forClassName: expected.className)
            XCTAssertEqual(finding["finding"] as? [String], [code.value, code.scheme, code.meaning])
            let measurements = try XCTUnwrap(finding["measurements"] as? [[String: Any]])
            XCTAssertEqual(measurements.count, 1)
            XCTAssertEqual(measurements.first?["name"] as? [String], ["111012", "DCM", "Certainty of Finding"])
            XCTAssertEqual(measurements.first?["unit"] as? [String], ["1", "UCUM", "no units"])
            XCTAssertEqual(try XCTUnwrap(measurements.first?["value"] as? Double), expected.probability, accuracy: 1e-12)
            let evaluations = try XCTUnwrap(finding["evaluations"] as? [[String: Any]])
            XCTAssertEqual(evaluations.first?["value"] as? [String],
                           expected.present ? ["52101004", "SCT", "Present"] : ["272519000", "SCT", "Absent"], expected.className)
        }
        XCTAssertEqual(Set(findings.compactMap { $0["tracking_uid"] as? String }).count, 14, "tracking UIDs are distinct")

        let regions = try XCTUnwrap(json["regions"] as? [[String: Any]])
        XCTAssertEqual(regions.map { $0["tracking_identifier"] as? String },
                       ["Cardiomegaly region 1", "Cardiomegaly region 2", "Hernia region 1"])
        let first = try XCTUnwrap(regions.first)
        XCTAssertEqual(first["graphic_type"] as? String, "POLYLINE")
        XCTAssertEqual(first["points"] as? [[Double]], [[100, 200], [400, 200], [400, 520], [100, 520], [100, 200]])
        XCTAssertEqual(regions[1]["points"] as? [[Double]], [[600.5, 10], [1024, 10], [1024, 90.25], [600.5, 90.25], [600.5, 10]])
        XCTAssertEqual(first["source_sop_instance_uid"] as? String, Samples.source.sopInstanceUID)
        XCTAssertEqual(first["source_sop_class_uid"] as? String, Samples.source.sopClassUID)
        XCTAssertEqual(json["comments"] as? [String], [report.disclaimer])
        XCTAssertTrue(report.disclaimer.hasPrefix("NOT FOR CLINICAL USE"))
    }

    /// Imaging's own parser walks the document and finds the study, the new series and the
    /// patient copied from the source.
    func testImagingParsesTheReportBack() throws {
        let report = Samples.report(seriesNumber: 77)
        let file = try DICOMFileMeta([UInt8](try report.encoded()))
        XCTAssertEqual(file.text(0x0002, 0x0002), MeasurementReport.sopClassUID)
        XCTAssertEqual(file.text(0x0008, 0x0016), MeasurementReport.sopClassUID)
        XCTAssertEqual(file.text(0x0008, 0x0018), report.instance.sopInstanceUID)
        XCTAssertEqual(file.text(0x0008, 0x0060), "SR")
        XCTAssertEqual(file.text(0x0020, 0x000D), Samples.source.studyInstanceUID)
        XCTAssertEqual(file.text(0x0020, 0x000E), report.instance.seriesInstanceUID)
        XCTAssertEqual(file.text(0x0020, 0x0011), "77")
        XCTAssertEqual(file.text(0x0010, 0x0010), "Doe^Jane")
        XCTAssertEqual(file.text(0x0010, 0x0020), "P-0001")
        XCTAssertNil(file.text(0x0008, 0x0005), "ASCII text needs no Specific Character Set")
        XCTAssertEqual(file.text(0x0040, 0xA040), "CONTAINER")
        XCTAssertEqual(file.text(0x0008, 0x0023), "20231114")   // 1 700 000 000 s after 1970, UTC
        XCTAssertEqual(file.text(0x0008, 0x0033), "221320")
        XCTAssertTrue(file.text(0x0008, 0x103E)?.contains("NOT FOR CLINICAL USE") ?? false)
        XCTAssertNotNil(file.elements[DICOMTag(0x0040, 0xA730)], "the content sequence")
        XCTAssertNotNil(file.elements[DICOMTag(0x0040, 0xA375)], "the evidence sequence")
    }

    /// Non-ASCII names are written as UTF-8 under Specific Character Set ISO_IR 192 and read
    /// back intact by Imaging's parser, pydicom and dcmtk (whose VR checker cannot check that
    /// character set and says so, with and without -Dv: that notice is its only output on stderr).
    func testNonASCIINamesAreWrittenAsUTF8() throws {
        var report = Samples.report()
        report.source.patientName = "Müller^Jürgen"
        let data = try report.encoded()
        let file = try DICOMFileMeta([UInt8](data))
        XCTAssertEqual(file.text(0x0008, 0x0005), "ISO_IR 192")
        XCTAssertEqual(file.text(0x0010, 0x0010), "Müller^Jürgen")
        let url = try writeTemporary(data, name: "sr-utf8.dcm")
        XCTAssertEqual(try ExternalReaders.readResults(["sr", url.path])["patient_name"] as? String, "Müller^Jürgen")
        let structured = try ExternalReaders.run("dsrdump", ["+U8", url.path])
        XCTAssertEqual(structured.status, 0, structured.standardError)
        let notice = "W: The VR checker does not support this Specific Character Set: ISO_IR 192"
        let lines = structured.standardError.split(separator: "\n")
        XCTAssertFalse(lines.isEmpty)
        XCTAssertTrue(lines.allSatisfy { $0 == notice }, structured.standardError)
        XCTAssertTrue(structured.standardOutput.contains("Müller^Jürgen"), structured.standardOutput)
    }

    func testInputsOutOfRangeAreRefused() {
        func reason(_ change: (inout MeasurementReport) -> Void) -> String? {
            var report = Samples.report()
            change(&report)
            do {
                _ = try report.encoded()
                return nil
            } catch {
                return String(describing: error)
            }
        }
        XCTAssertNil(reason { _ in })
        XCTAssertTrue(reason { $0.findings[3].probability = 1.5 }?.contains("Infiltration: probability 1.5") ?? false)
        XCTAssertTrue(reason { $0.findings[3].probability = .nan }?.contains("probability") ?? false)
        XCTAssertTrue(reason { $0.findings[0].threshold = -0.1 }?.contains("threshold") ?? false)
        XCTAssertTrue(reason { $0.findings[0].boxes = [PixelBox(x0: 0, y0: 0, x1: 5, y1: 5)] }?.contains("absent") ?? false)
        XCTAssertTrue(reason { $0.findings[1].boxes[0].x1 = 1025 }?.contains("outside the 1024×1024") ?? false)
        XCTAssertTrue(reason { $0.findings[1].boxes[0].y1 = 200 }?.contains("empty") ?? false)
        XCTAssertTrue(reason { $0.findings.append($0.findings[0]) }?.contains("given twice") ?? false)
        XCTAssertTrue(reason { $0.findings = [] }?.contains("at least one") ?? false)
        XCTAssertTrue(reason { $0.source.studyInstanceUID = "1.2.3.04" }?.contains("(0020,000D)") ?? false)
        XCTAssertTrue(reason { $0.source.patientID = String(repeating: "9", count: 70) }?.contains("(0010,0020)") ?? false)
    }

    func testFindingCodes() {
        XCTAssertEqual(FindingCodes.concept(forClassName: "Effusion"), CodedConcept("60046008", "SCT", "Pleural effusion"))
        XCTAssertEqual(FindingCodes.concept(forClassName: "Infiltration"), CodedConcept("112121", "DCM", "Infiltrate"))
        XCTAssertEqual(FindingCodes.concept(forClassName: "Pleural_Thickening"),
                       CodedConcept("PLEURALTHICKENING", "99THORAX", "Pleural Thickening"))
        XCTAssertEqual(FindingCodes.concept(forClassName: "Hernia"), CodedConcept("HERNIA", "99THORAX", "Hernia"))
        // All 14 classes get distinct codes.
        XCTAssertEqual(Set(Samples.classNames.map { FindingCodes.concept(forClassName: $0) }).count, 14)
    }

    func testDecimalStringsFitTheirVR() {
        for value in [0.0, 1.0, 0.5, 0.123456789012345, 1e-7, 0.999999999999, Double(Float(0.7312345))] {
            let text = ContentItem.decimalString(value)
            XCTAssertLessThanOrEqual(text.count, 16, text)
            XCTAssertNil(ValueRepresentation.decimalString.problem(with: text), text)
            XCTAssertEqual(Double(text)!, value, accuracy: 1e-8 * max(1, abs(value)))
        }
    }
}

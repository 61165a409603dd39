import Foundation
import TestSupport
import XCTest

/// `thorax image info` and `thorax image decode` as a subprocess, on Imaging's fixtures.
final class ImageCommandTests: XCTestCase {
    static let fixtures = SharedData.repositoryRoot.appendingPathComponent("Tests/ImagingTests/Fixtures")

    func testInfoPrintsDICOMMetadata() throws {
        let file = Self.fixtures.appendingPathComponent("base8.dcm").path
        let result = try ForwardCommandTests.run(["image", "info", file])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.output, """
        {
          "bits_stored" : 8,
          "file" : "\(file)",
          "format" : "dicom",
          "frames" : 1,
          "height" : 48,
          "modality" : "DX",
          "patient_age" : "58",
          "patient_id" : "1",
          "patient_sex" : "M",
          "photometric_interpretation" : "MONOCHROME2",
          "pixel_spacing_mm" : [
            0.143,
            0.139
          ],
          "series_instance_uid" : "1.3.6.1.4.1.11129.5.5.195628213694300498946760767481291263511724",
          "sop_instance_uid" : "1.2.826.0.1.3680043.10.1378.599934006325735878351206681570973060",
          "study_instance_uid" : "1.3.6.1.4.1.11129.5.5.111396399361969898205364400549799252857604",
          "transfer_syntax" : "1.2.840.10008.1.2.1 (Explicit VR Little Endian)",
          "view_position" : "PA",
          "width" : 64
        }

        """)
    }

    func testDecodeKeepsGoingPastABadFileAndFails() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = Self.fixtures.appendingPathComponent("gray8.png").path
        let bad = Self.fixtures.appendingPathComponent("mpeg2-labelled.dcm").path
        let result = try ForwardCommandTests.run(["image", "decode", bad, good, "--output-directory", directory.path])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.error, "error: \(bad): DICOM: unsupported transfer syntax 1.2.840.10008.1.2.4.100 (MPEG2 Main Profile / Main Level)\n")
        XCTAssertEqual(result.output, "decoded 1 of 2 files into \(directory.path)\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["gray8.png"])
    }
}

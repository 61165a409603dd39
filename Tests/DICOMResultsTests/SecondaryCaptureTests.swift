@testable import DICOMResults
import Foundation
@testable import Imaging
import XCTest

final class SecondaryCaptureTests: XCTestCase {
    /// Imaging's DICOM reader takes the image as RGB of the figure's size and its first frame
    /// decodes to exactly the figure's pixels (odd-sized, so the pixel data was padded).
    func testImagingDecodesTheFigurePixels() throws {
        let capture = Samples.secondaryCapture()
        let data = try capture.encoded()
        let file = try DICOMFile(data, name: "sc.dcm")
        XCTAssertEqual(file.metadata.rows, 5)
        XCTAssertEqual(file.metadata.columns, 7)
        XCTAssertEqual(file.metadata.samplesPerPixel, 3)
        XCTAssertEqual(file.metadata.photometricInterpretation, "RGB")
        XCTAssertEqual(file.metadata.studyInstanceUID, Samples.source.studyInstanceUID)
        XCTAssertEqual(file.metadata.seriesInstanceUID, capture.instance.seriesInstanceUID)
        XCTAssertEqual(file.metadata.sopInstanceUID, capture.instance.sopInstanceUID)
        XCTAssertEqual(file.metadata.modality, "OT")
        let pixelData = try XCTUnwrap(file.pixelData)
        XCTAssertEqual(pixelData.value.count, 7 * 5 * 3 + 1, "105 bytes padded to 106")
        let frame = try file.decodeFirstFrame(pixelData)
        XCTAssertEqual(frame.channels, 3)
        XCTAssertEqual(frame.samples.map { UInt8($0) }, Samples.figure.pixels)
    }

    /// pydicom decodes the pixel array equal to the figure, as (rows, columns, 3) uint8 RGB.
    func testPydicomDecodesTheFigurePixels() throws {
        let file = try writeTemporary(try Samples.secondaryCapture().encoded(), name: "sc.dcm")
        let raw = file.deletingLastPathComponent().appendingPathComponent("figure.rgb")
        try Data(Samples.figure.pixels).write(to: raw)
        let json = try ExternalReaders.readResults(["sc", file.path, raw.path])
        XCTAssertEqual(json["sop_class_uid"] as? String, SecondaryCapture.sopClassUID)
        XCTAssertEqual(json["study_instance_uid"] as? String, Samples.source.studyInstanceUID)
        XCTAssertEqual(json["photometric_interpretation"] as? String, "RGB")
        XCTAssertEqual(json["shape"] as? [Int], [5, 7, 3])
        XCTAssertEqual(json["dtype"] as? String, "uint8")
        XCTAssertEqual(json["pixels_equal"] as? Bool, true)
    }

    func testDcmdumpReadsTheImageWithoutWarnings() throws {
        let file = try writeTemporary(try Samples.secondaryCapture().encoded(), name: "sc.dcm")
        let dump = try ExternalReaders.run("dcmdump", [file.path])
        XCTAssertEqual(dump.status, 0, dump.standardError)
        XCTAssertEqual(dump.standardError, "")
        XCTAssertTrue(dump.standardOutput.contains("SecondaryCaptureImageStorage"), dump.standardOutput)
        XCTAssertTrue(dump.standardOutput.contains("NOT FOR CLINICAL USE"))
        XCTAssertTrue(dump.standardOutput.contains("(0028,0004) CS [RGB]"))
    }

    func testAnEmptyFigureIsRefused() {
        var capture = Samples.secondaryCapture()
        capture.image = RGBImage(width: 0, height: 0, pixels: [])
        XCTAssertThrowsError(try capture.encoded()) { error in
            XCTAssertTrue(String(describing: error).contains("0×0"), "\(error)")
        }
    }
}

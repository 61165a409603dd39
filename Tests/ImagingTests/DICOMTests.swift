import Foundation
import TestSupport
import XCTest
@testable import Imaging

/// DICOM fixtures are cut from a real NIH DICOM and re-encoded by dcmtk and GDCM
/// (scripts/make-imaging-fixtures.py); expected values come from pydicom or from dcmtk/GDCM's
/// own decoders (*.values.png, *.reference.png), never from this module.
final class DICOMTests: XCTestCase {
    func testNativeSyntaxesEqualPydicom() throws {
        let base16 = try referenceValues("base16.values.png")
        XCTAssertEqual(base16.count, 64 * 48)
        for name in ["base16.dcm", "implicit-le16.dcm", "explicit-be16.dcm", "deflated16.dcm"] {
            XCTAssertEqual(try stored(name), base16, name)
        }
        XCTAssertEqual(try stored("base8.dcm"), try referenceValues("base8.values.png"))
    }

    func testLosslessCompressedSyntaxesEqualTheSource() throws {
        let base16 = try referenceValues("base16.values.png"), base8 = try referenceValues("base8.values.png")
        for name in ["rle16.dcm", "jpeg-lossless-sv6-16.dcm", "jpeg-lossless-sv1-16.dcm", "jpeg-ls-lossless16.dcm",
                     "j2k-lossless16.dcm"] {
            XCTAssertEqual(try stored(name), base16, name)
        }
        for name in ["rle8.dcm", "jpeg-lossless-sv7-8.dcm"] {
            XCTAssertEqual(try stored(name), base8, name)
        }
    }

    func testLosslessJPEGPointTransformDropsTheLowBits() throws {
        let base16 = try referenceValues("base16.values.png")
        XCTAssertEqual(try stored("jpeg-lossless-sv4-pt2-16.dcm"), base16.map { ($0 >> 2) << 2 })
    }

    func testLossySyntaxesEqualOtherDecoders() throws {
        // dcmtk's CharLS and GDCM's OpenJPEG: the same algorithms, so the same values.
        XCTAssertEqual(try stored("jpeg-ls-near16.dcm"), try referenceValues("jpeg-ls-near16.reference.png"))
        XCTAssertEqual(try stored("j2k-lossy16.dcm"), try referenceValues("j2k-lossy16.reference.png"))
        // dcmtk's IJG decoder and libjpeg-turbo may differ by rounding in the inverse DCT.
        for name in ["jpeg-baseline8", "jpeg-extended8"] {
            let ours = try stored(name + ".dcm"), reference = try referenceValues(name + ".reference.png")
            XCTAssertEqual(ours.count, reference.count)
            XCTAssertLessThanOrEqual(zip(ours, reference).map { abs($0 - $1) }.max() ?? 99, 1, name)
        }
    }

    func testFirstFrameOfMultiFrameFiles() throws {
        let base8 = try referenceValues("base8.values.png")
        for name in ["two-frames.dcm", "rle-two-frames.dcm", "jpeg-lossless-two-frames.dcm"] {
            XCTAssertEqual(try stored(name), base8, name)
        }
    }

    func testBitsStoredMaskingAndSignedValues() throws {
        XCTAssertEqual(try stored("masked16.dcm"), try referenceValues("base16.values.png"))
        XCTAssertEqual(try stored("signed16.dcm"),
                       try referenceValues("signed16.values-plus-32768.png").map { $0 - 32768 })
    }

    func testWindowedRenderingEqualsPydicom() throws {
        let ours = try DICOMFile(contentsOf: Fixture.url("base16.dcm")).image()
        let pydicom = try ImageDecoder.decode(contentsOf: Fixture.url("base16.pydicom.png"))
        XCTAssertEqual(ours.width, 64)
        XCTAssertEqual(ours.height, 48)
        XCTAssertLessThanOrEqual(zip(ours.pixels, pydicom.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 99, 1)
    }

    func testMonochrome1IsInvertedAndNoWindowMeansMinimumToMaximum() throws {
        let values = try referenceValues("base8.values.png")
        let low = Double(values.min()!), high = Double(values.max()!)
        let expected = values.map { 255 - UInt8(((Double($0) - low) / (high - low) * 255).rounded()) }
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: Fixture.url("monochrome1.dcm")).pixels, expected)
    }

    func testMetadata() throws {
        let m = try DICOMFile(contentsOf: Fixture.url("jpeg-lossless-sv6-16.dcm")).metadata
        // pydicom's reading of the source file (NIH test2.dcm) plus the attributes the script set.
        XCTAssertEqual(m.patientID, "1")
        XCTAssertEqual(m.studyInstanceUID, "1.3.6.1.4.1.11129.5.5.111396399361969898205364400549799252857604")
        XCTAssertEqual(m.seriesInstanceUID, "1.3.6.1.4.1.11129.5.5.195628213694300498946760767481291263511724")
        XCTAssertEqual(m.viewPosition, "PA")
        XCTAssertEqual(m.patientAge, "58")
        XCTAssertEqual(m.patientSex, "M")
        XCTAssertEqual(m.modality, "DX")
        XCTAssertEqual(m.pixelSpacing?.row, 0.143)
        XCTAssertEqual(m.pixelSpacing?.column, 0.139)
        XCTAssertEqual(m.transferSyntaxUID, DICOMTransferSyntax.jpegLossless)
        XCTAssertEqual(m.bitsStored, 12)
        XCTAssertEqual(m.rescaleSlope, 2)
        XCTAssertEqual(m.rescaleIntercept, -100)
        XCTAssertEqual(m.windowCenter, 3000)
        XCTAssertEqual(m.windowWidth, 4000)
    }

    /// A window centre of "nan" is not a number to use, and a slope of 1e308 overflows the
    /// Modality LUT to infinity: the image still renders (black), nothing traps.
    func testHostileNumbersDoNotTrap() throws {
        let file = try DICOMFile(contentsOf: Fixture.url("hostile-numbers.dcm"))
        XCTAssertNil(file.metadata.windowCenter)
        XCTAssertEqual(file.metadata.windowWidth, 100)
        XCTAssertEqual(file.metadata.rescaleSlope, 1e308)
        let image = try file.image()
        XCTAssertEqual(image.width, 64)
        XCTAssertEqual(image.height, 48)
    }

    func testUnsupportedSyntaxesAreNamed() {
        XCTAssertImagingError(try ImageDecoder.decode(contentsOf: Fixture.url("mpeg2-labelled.dcm")),
                              contains: ["mpeg2-labelled.dcm", "unsupported transfer syntax 1.2.840.10008.1.2.4.100 (MPEG2 Main Profile / Main Level)"])
        // 12-bit JPEG (.51) is decoded now (SequentialJPEGDecoderTests); other precisions are named.
        var data = try! Fixture.data("jpeg-extended12.dcm")
        let sof = data.range(of: Data([0xFF, 0xC1, 0x00, 0x0B, 0x0C]))!.lowerBound
        data[sof + 4] = 16
        XCTAssertImagingError(try ImageDecoder.decode(data, name: "jpeg-extended16.dcm"),
                              contains: ["jpeg-extended16.dcm", "1.2.840.10008.1.2.4.51 (JPEG Extended (Process 2 & 4))", "16-bit"])
    }

    func testTruncatedAndCorruptFiles() {
        XCTAssertImagingError(try ImageDecoder.decode(contentsOf: Fixture.url("base16-truncated.dcm")),
                              contains: ["base16-truncated.dcm", "truncated"])
        XCTAssertImagingError(try ImageDecoder.decode(contentsOf: Fixture.url("rle16-truncated.dcm")),
                              contains: ["rle16-truncated.dcm", "truncated"])
        XCTAssertImagingError(try DICOMFile(contentsOf: Fixture.url("not-dicom.dcm")),
                              contains: ["not-dicom.dcm", "not a DICOM Part 10 file"])
        // Every prefix of a compressed file must fail cleanly, never crash.
        for name in ["jpeg-lossless-sv6-16.dcm", "jpeg-ls-lossless16.dcm", "j2k-lossless16.dcm", "rle8.dcm",
                     "jpeg-baseline8.dcm", "deflated16.dcm", "implicit-le16.dcm"] {
            let data = try! Fixture.data(name)
            for cut in stride(from: 0, to: data.count - 16, by: max(1, data.count / 97)) {
                XCTAssertThrowsError(try ImageDecoder.decode(data.prefix(cut), name: name), "\(name) cut at \(cut)")
            }
        }
        // Flipped bytes inside compressed data: an error or some image, never a crash.
        for name in ["jpeg-lossless-sv6-16.dcm", "jpeg-ls-lossless16.dcm", "j2k-lossless16.dcm", "rle16.dcm"] {
            var data = try! Fixture.data(name)
            for offset in stride(from: data.count - 1500, to: data.count - 100, by: 97) { data[offset] ^= 0xA5 }
            _ = try? ImageDecoder.decode(data, name: name)
        }
    }

    func testRealNIHDICOMsEqualPydicom() throws {
        guard let directory = SharedData.url("nih/dicom") else { throw XCTSkip("the shared data's nih/dicom (THORAX_SHARED_DATA) is not here") }
        let crops = try ImageDecoder.decode(contentsOf: Fixture.url("nih-dicom-crops.png"))
        for index in 1...6 {
            let file = try DICOMFile(contentsOf: directory.appendingPathComponent("test\(index).dcm"))
            XCTAssertEqual(file.metadata.transferSyntaxUID, DICOMTransferSyntax.implicitLittleEndian)
            let values = try file.storedValues()
            XCTAssertEqual(values.count, 1024 * 1024)
            for y in 0..<16 {
                for x in 0..<16 {
                    XCTAssertEqual(values[(500 + y) * 1024 + 500 + x], Int32(crops[x, (index - 1) * 16 + y]))
                }
            }
            XCTAssertEqual(try ImageDecoder.decode(contentsOf: directory.appendingPathComponent("test\(index).dcm")).width, 1024)
        }
        let first = try DICOMFile(contentsOf: directory.appendingPathComponent("test1.dcm")).metadata
        XCTAssertEqual(first.patientID, "2")
        XCTAssertEqual(first.patientAge, "81")
        XCTAssertEqual(first.patientSex, "M")
        XCTAssertEqual(first.viewPosition, "PA")
        XCTAssertEqual(first.studyInstanceUID, "1.3.6.1.4.1.11129.5.5.112507010803284478207522016832191866964708")
    }
}

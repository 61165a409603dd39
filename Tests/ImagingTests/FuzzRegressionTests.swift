import CZlib
import Foundation
import XCTest
@testable import Imaging

/// Inputs that crashed a decoder or made it allocate without bound (found by the libFuzzer
/// targets in Fuzz/, or written to attack a limit), fed through the same path as the fuzz
/// target that reads them; each must now fail with a clear `ImagingError`.
final class FuzzRegressionTests: XCTestCase {
    static let directory = Fixture.directory.appendingPathComponent("fuzz-regressions")

    /// Every file in Fixtures/fuzz-regressions, by the prefix naming its fuzz target's path:
    /// dicom- (DICOMFile then image()), png- (both PNG paths), jpeg- (libjpeg-turbo and the
    /// Swift decoders), rle- (6-byte FuzzRLE header, then the frame).
    func testEveryRegressionInputFailsWithAClearError() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).sorted()
        XCTAssertFalse(names.isEmpty)
        for name in names {
            let data = try Data(contentsOf: Self.directory.appendingPathComponent(name))
            if name.hasPrefix("dicom-") {
                XCTAssertImagingError(try DICOMFile(data, name: name).image(), contains: [name, "DICOM: "])
            } else if name.hasPrefix("png-") {
                XCTAssertNil(PNGDirectDecoder.decode(data), name)
                XCTAssertImagingError(try PNGCodec.decode(data, name: name), contains: [name, "PNG"])
                XCTAssertImagingError(try PNGCodec.decodeWithLibPNG(data, name: name), contains: [name, "PNG"])
            } else if name.hasPrefix("jpeg-") {
                XCTAssertImagingError(try JPEGCodec.decode(data, name: name), contains: [name, "JPEG: "])
                XCTAssertThrowsError(try SequentialJPEGDecoder.decode([UInt8](data)), name)
                XCTAssertThrowsError(try LosslessJPEGDecoder.decode([UInt8](data)), name)
            } else {
                XCTFail("\(name): no fuzz target prefix (dicom-, png-, jpeg-)")
            }
        }
    }

    func testIntegerStringsOutsideTheRangeOfISAreRefused() throws {
        let name = "dicom-rows-integer-string-overflow.dcm"
        let data = try Data(contentsOf: Self.directory.appendingPathComponent(name))
        XCTAssertImagingError(try DICOMFile(data, name: name), contains: ["(0028,0010)", "outside the range"])
    }

    /// A 65535×65535 header must be refused from the header, not by failing to allocate 4 GB
    /// (65000×65000 for JPEG: libjpeg-turbo itself refuses more than 65500).
    func testHugeHeadersAreRefusedBeforeAllocating() throws {
        for (name, size) in [("png-ihdr-65535x65535.png", "65535x65535"), ("jpeg-sof-65000x65000.jpg", "65000x65000")] {
            let data = try Data(contentsOf: Self.directory.appendingPathComponent(name))
            XCTAssertImagingError(try ImageDecoder.decode(data, name: name), contains: [size, "over the limit"])
        }
        let jpeg = try [UInt8](Data(contentsOf: Self.directory.appendingPathComponent("jpeg-sof-65000x65000.jpg")))
        XCTAssertThrowsError(try SequentialJPEGDecoder.decode(jpeg)) { error in
            XCTAssertTrue((error as? JPEGDecodingFailure)?.reason.contains("over the limit") == true, "\(error)")
        }
    }

    /// Found by the long fuzz run: a JPEG 2000 frame (1 KB file) whose SIZ declared 64 x 2,097,206
    /// pixels in 43,692 tiles made OpenJPEG's header reader allocate 680 MB; the SIZ is now checked
    /// against the DICOM header's Rows x Columns before OpenJPEG sees the stream.
    func testJPEG2000SizeIsCheckedBeforeOpenJPEGReadsTheHeader() throws {
        let name = "dicom-j2k-64x2097206-in-43692-tiles.dcm"
        let data = try Data(contentsOf: Self.directory.appendingPathComponent(name))
        XCTAssertImagingError(try DICOMFile(data, name: name).image(), contains: [name, "64x2097206", "over the limit of 3072 pixels"])
    }

    /// Found by the long fuzz run: a 72-byte PNG whose iTXt chunk declares 970 MB made libpng
    /// allocate the chunk before reading it; text chunks are now never read.
    func testTextChunksAreNotRead() throws {
        let name = "png-itxt-declares-970-mb.png"
        let data = try Data(contentsOf: Self.directory.appendingPathComponent(name))
        XCTAssertImagingError(try PNGCodec.decodeWithLibPNG(data, name: name), contains: [name, "truncated"])
    }

    /// 100,000 nested sequences overflowed the stack before the depth limit; now a clear error.
    func testDeeplyNestedSequencesAreBounded() throws {
        var bytes = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
        let uid = Array("1.2.840.10008.1.2.1\0".utf8)
        bytes += [0x02, 0x00, 0x10, 0x00] + Array("UI".utf8) + [UInt8(uid.count), 0] + uid
        for _ in 0..<100_000 {
            bytes += [0x08, 0x00, 0x15, 0x11] + Array("SQ".utf8) + [0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
            bytes += [0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]
        }
        XCTAssertImagingError(try DICOMFile(Data(bytes), name: "nested.dcm"),
                              contains: ["nested.dcm", "nest more than \(ImagingLimits.standard.maximumSequenceDepth) deep"])
        let shallow = try Data(contentsOf: Self.directory.appendingPathComponent("dicom-sequences-nested-100-deep.dcm"))
        XCTAssertImagingError(try DICOMFile(shallow, name: "s.dcm"), contains: ["nest more than"])
        // A smaller depth passed in holds in both readers, naming the limit.
        let ten = ImagingLimits(maximumSequenceDepth: 10)
        XCTAssertImagingError(try DICOMFile(shallow, name: "s.dcm", limits: ten),
                              contains: ["s.dcm", "nest more than 10 deep", "(ImagingLimits.maximumSequenceDepth)"])
        XCTAssertImagingError(try DICOMFile.dataElements(shallow, name: "s.dcm", limits: ten), contains: ["s.dcm", "nest more than 10 deep"])
    }

    func testDeflatedDataSetsStopAtTheInflateLimit() throws {
        let small = ImagingLimits(maximumInflatedBytes: 1000)
        XCTAssertImagingError(try DICOMFile(contentsOf: Fixture.url("deflated16.dcm"), limits: small),
                              contains: ["deflated16.dcm", "inflates to more than 1000 bytes"])
        XCTAssertImagingError(try DICOMFile.transferSyntax(Fixture.data("deflated16.dcm"), name: "d.dcm", limits: small),
                              contains: ["d.dcm", "inflates to more than 1000 bytes"])
        XCTAssertNoThrow(try DICOMFile(contentsOf: Fixture.url("deflated16.dcm")).image())
    }

    /// The pixel limit holds in every decoder, each checking the size its own header declares
    /// (the DICOM header's Rows and Columns are checked first in `storedValues()`, so the frame
    /// decoders are called directly here).
    func testEveryDecoderHonoursThePixelLimit() throws {
        let small = ImagingLimits(maximumPixels: 100)
        for name in ["base16.dcm", "rle16.dcm", "jpeg-ls-lossless16.dcm", "j2k-lossless16.dcm", "jpeg-baseline8.dcm",
                     "jpeg-extended12.dcm", "jpeg-lossless-sv1-16.dcm"] {
            let file = try DICOMFile(contentsOf: Fixture.url(name))
            XCTAssertImagingError(try file.image(limits: small), contains: [name, "over the limit of 100 pixels"])
            XCTAssertImagingError(try file.nativeFrame(1, limits: small), contains: [name, "over the limit of 100 pixels"])
            if let element = file.pixelData, let fragments = element.fragments, !name.hasPrefix("rle") {
                let frame = try file.firstFrameFragments(element, fragments)
                XCTAssertImagingError(try file.decodeEncapsulated(frame, limits: small), contains: [name, "over the limit of 100 pixels"])
            }
            // The limit is the caller's value: the same file decodes under the standard one.
            XCTAssertNoThrow(try file.image(), name)
        }
        for name in ["gray8.png", "rgb16.png", "palette8.png"] {
            XCTAssertImagingError(try PNGCodec.decode(Fixture.data(name), name: name, limits: small), contains: [name, "over the limit of 100 pixels"])
            XCTAssertImagingError(try ImageDecoder.decode(Fixture.data(name), name: name, limits: small),
                                  contains: [name, "over the limit of 100 pixels"])
        }
        XCTAssertImagingError(try JPEGCodec.decode(Fixture.data("gray-baseline.jpg"), name: "g.jpg", limits: small),
                              contains: ["g.jpg", "over the limit of 100 pixels"])
        XCTAssertNoThrow(try JPEGCodec.decode(Fixture.data("gray-baseline.jpg"), name: "g.jpg"))
    }
}

import Foundation
import XCTest
@testable import Imaging

/// `DICOMFile.nativeFrame`, the uncompressed frames WADO-RS sends: every syntax gives the
/// samples that pydicom wrote into the values PNGs (scripts/make-imaging-fixtures.py), as
/// little-endian words of Bits Allocated, whichever frame is asked for.
final class DICOMFrameTests: XCTestCase {
    /// `values` as little-endian words of `bytes` bytes (two's complement for negative values).
    func littleEndian(_ values: [Int32], bytes: Int) -> [UInt8] {
        values.flatMap { value in (0..<bytes).map { UInt8(truncatingIfNeeded: value >> Int32(8 * $0)) } }
    }

    func frame(_ name: String, _ number: Int = 1) throws -> [UInt8] {
        try DICOMFile(contentsOf: Fixture.url(name)).nativeFrame(number)
    }

    func testNativeFramesAreTheStoredSamplesInLittleEndian() throws {
        let base16 = littleEndian(try referenceValues("base16.values.png"), bytes: 2)
        XCTAssertEqual(base16.count, 64 * 48 * 2)
        for name in ["base16.dcm", "implicit-le16.dcm", "explicit-be16.dcm", "deflated16.dcm"] {
            XCTAssertEqual(try frame(name), base16, name)
        }
        XCTAssertEqual(try frame("base8.dcm"), littleEndian(try referenceValues("base8.values.png"), bytes: 1))
        XCTAssertEqual(try frame("signed16.dcm"),
                       littleEndian(try referenceValues("signed16.values-plus-32768.png").map { $0 - 32768 }, bytes: 2))
    }

    func testBitsBeyondBitsStoredAreSentAsStored() throws {
        // masked16 holds other bits above its 12 stored ones: the frame is the stored words,
        // which the receiver masks as Bits Stored says (pydicom's pixel_array masks them).
        let masked = try frame("masked16.dcm")
        let words = stride(from: 0, to: masked.count, by: 2).map { Int32(masked[$0]) | Int32(masked[$0 + 1]) << 8 }
        XCTAssertEqual(words.map { $0 & 0x0FFF }, try referenceValues("base16.values.png"))
        XCTAssertNotEqual(masked, littleEndian(try referenceValues("base16.values.png"), bytes: 2))
    }

    func testCompressedFramesAreDecodedToTheSourceSamples() throws {
        let base16 = littleEndian(try referenceValues("base16.values.png"), bytes: 2)
        for name in ["rle16.dcm", "jpeg-lossless-sv6-16.dcm", "jpeg-lossless-sv1-16.dcm", "jpeg-ls-lossless16.dcm",
                     "j2k-lossless16.dcm"] {
            XCTAssertEqual(try frame(name), base16, name)
        }
        let base8 = littleEndian(try referenceValues("base8.values.png"), bytes: 1)
        for name in ["rle8.dcm", "jpeg-lossless-sv7-8.dcm"] {
            XCTAssertEqual(try frame(name), base8, name)
        }
    }

    func testEveryFrameOfMultiFrameFiles() throws {
        // The script's second frame is the first inverted.
        let first = try referenceValues("base8.values.png")
        let second = first.map { 255 - $0 }
        for name in ["two-frames.dcm", "rle-two-frames.dcm", "jpeg-lossless-two-frames.dcm"] {
            let file = try DICOMFile(contentsOf: Fixture.url(name))
            XCTAssertEqual(file.frameCount, 2, name)
            XCTAssertEqual(try file.nativeFrame(1), littleEndian(first, bytes: 1), name)
            XCTAssertEqual(try file.nativeFrame(2), littleEndian(second, bytes: 1), name)
            XCTAssertEqual(try file.storedValues(frame: 2), second, name)
            XCTAssertEqual(try file.image(frame: 2).pixels.count, 64 * 48, name)
        }
    }

    func testFramesTheFileDoesNotHold() throws {
        let two = try DICOMFile(contentsOf: Fixture.url("two-frames.dcm"))
        XCTAssertImagingError(try two.nativeFrame(3), contains: ["there is no frame 3", "2 frames"])
        XCTAssertImagingError(try two.nativeFrame(0), contains: ["there is no frame 0"])
        XCTAssertImagingError(try two.storedValues(frame: 3), contains: ["there is no frame 3"])
        let single = try DICOMFile(contentsOf: Fixture.url("base16.dcm"))
        XCTAssertEqual(single.frameCount, 1)
        XCTAssertImagingError(try single.nativeFrame(2), contains: ["there is no frame 2", "1 frame"])
        // base16 with Rows doubled (48 → 96): its Pixel Data holds half the frame.
        var bytes = [UInt8](try Fixture.data("base16.dcm"))
        let rows: [UInt8] = [0x28, 0x00, 0x10, 0x00, 0x55, 0x53, 0x02, 0x00, 0x30, 0x00]
        let at = try XCTUnwrap((0...(bytes.count - rows.count)).first { Array(bytes[$0..<($0 + rows.count)]) == rows })
        bytes[at + 8] = 0x60
        let short = try DICOMFile(Data(bytes), name: "rows-doubled.dcm")
        XCTAssertImagingError(try short.nativeFrame(1), contains: ["rows-doubled.dcm", "Pixel Data holds 6144 bytes",
                                                                   "the first frame needs 12288", "truncated"])
    }
}

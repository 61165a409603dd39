import Foundation
import XCTest
@testable import Imaging

final class JPEGCodecTests: XCTestCase {
    /// libjpeg-turbo through TurboJPEG must give what Pillow (libjpeg-turbo's libjpeg API,
    /// islow DCT) gave when the fixtures were made.
    func testBaselineAndProgressiveEqualPillow() throws {
        for name in ["gray-baseline", "gray-progressive"] {
            let decoded = try ImageDecoder.decode(contentsOf: Fixture.url(name + ".jpg"))
            let pillow = try ImageDecoder.decode(contentsOf: Fixture.url(name + ".pillow.png"))
            XCTAssertEqual(decoded, pillow, name)
        }
    }

    func testColourJPEGGivesTheLumaCloseToTheSource() throws {
        let decoded = try ImageDecoder.decode(contentsOf: Fixture.url("rgb-baseline.jpg"))
        let source = try ImageDecoder.decode(contentsOf: Fixture.url("smooth-gray.png"))
        XCTAssertEqual(decoded.width, 64)
        XCTAssertEqual(decoded.height, 48)
        let difference = zip(decoded.pixels, source.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(difference, 4)
    }

    func testTruncatedJPEGIsAnError() {
        XCTAssertImagingError(try ImageDecoder.decode(contentsOf: Fixture.url("gray-baseline-truncated.jpg")),
                              contains: ["gray-baseline-truncated.jpg", "JPEG"])
    }

    /// Encoding at quality 100 and decoding again stays within a few levels of the source on a
    /// smooth image, and gives a one-component 8-bit baseline stream of the image's size.
    func testGrayEncodingRoundTrips() throws {
        let source = try ImageDecoder.decode(contentsOf: Fixture.url("smooth-gray.png"))
        let encoded = try JPEGCodec.encode(source, quality: 100)
        let frame = try XCTUnwrap(JPEGMarkers.startOfFrame(in: encoded))
        XCTAssertEqual(frame.marker, 0xC0)
        XCTAssertEqual([frame.precision, frame.width, frame.height, frame.components], [8, source.width, source.height, 1])
        let decoded = try JPEGCodec.decode(encoded, name: "encoded")
        let difference = zip(decoded.pixels, source.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(difference, 3)
        XCTAssertLessThan(try JPEGCodec.encode(source, quality: 20).count, encoded.count, "a lower quality gives fewer bytes")
    }

    func testEncodingRefusesEmptyImagesAndBadQualities() {
        XCTAssertImagingError(try JPEGCodec.encode(GrayscaleImage(width: 0, height: 0)), contains: ["0x0"])
        XCTAssertImagingError(try JPEGCodec.encode(GrayscaleImage(width: 2, height: 2), quality: 0), contains: ["quality 0"])
    }

    func testStartOfFrameIsFound() throws {
        let frame = try XCTUnwrap(JPEGMarkers.startOfFrame(in: Fixture.data("gray-progressive.jpg")))
        XCTAssertEqual(frame.marker, 0xC2)
        XCTAssertEqual(frame.precision, 8)
        XCTAssertEqual(frame.width, 64)
        XCTAssertEqual(frame.height, 48)
    }
}

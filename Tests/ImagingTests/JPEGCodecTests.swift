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

    func testStartOfFrameIsFound() throws {
        let frame = try XCTUnwrap(JPEGMarkers.startOfFrame(in: Fixture.data("gray-progressive.jpg")))
        XCTAssertEqual(frame.marker, 0xC2)
        XCTAssertEqual(frame.precision, 8)
        XCTAssertEqual(frame.width, 64)
        XCTAssertEqual(frame.height, 48)
    }
}

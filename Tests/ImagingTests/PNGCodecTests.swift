import Foundation
import Random
import TestSupport
import XCTest
@testable import Imaging

final class PNGCodecTests: XCTestCase {
    func testGray8DecodesToThePattern() throws {
        let image = try ImageDecoder.decode(contentsOf: Fixture.url("gray8.png"))
        XCTAssertEqual(image.width, 23)
        XCTAssertEqual(image.height, 17)
        XCTAssertEqual(image.pixels, Fixture.pattern8(7, 13))
    }

    func testGrayAlphaDropsAlpha() throws {
        let samples = try PNGCodec.decodeSamples(Fixture.data("gray-alpha8.png"), name: "gray-alpha8.png")
        XCTAssertEqual(samples.channels, 2)
        XCTAssertEqual(samples.samples.enumerated().filter { $0.offset % 2 == 1 }.map { UInt8($0.element) }, Fixture.pattern8(1, 2))
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: Fixture.url("gray-alpha8.png")).pixels, Fixture.pattern8(7, 13))
    }

    /// Pillow's `convert("L")`: (19595 R + 38470 G + 7471 B + 32768) >> 16.
    func pillowLuma(_ r: [UInt8], _ g: [UInt8], _ b: [UInt8]) -> [UInt8] {
        (0..<r.count).map { i -> UInt8 in
            let red = Int(r[i]) * 19595, green = Int(g[i]) * 38470, blue = Int(b[i]) * 7471
            return UInt8((red + green + blue + 0x8000) >> 16)
        }
    }

    func testRGBAndRGBABecomeLuma() throws {
        let expected = pillowLuma(Fixture.pattern8(7, 13), Fixture.pattern8(3, 5), Fixture.pattern8(11, 1))
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: Fixture.url("rgb8.png")).pixels, expected)
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: Fixture.url("rgba8.png")).pixels, expected)
        let rgba = try PNGCodec.decodeSamples(Fixture.data("rgba8.png"), name: "rgba8.png")
        XCTAssertEqual(rgba.channels, 4)
        XCTAssertEqual(rgba.bitDepth, 8)
    }

    func testPaletteIsExpanded() throws {
        let indices = Fixture.pattern8(7, 13)
        let samples = try PNGCodec.decodeSamples(Fixture.data("palette8.png"), name: "palette8.png")
        XCTAssertEqual(samples.channels, 3)
        let expected = indices.flatMap { [UInt16($0), UInt16(255 - $0), UInt16($0 / 2)] }
        XCTAssertEqual(samples.samples, expected)
    }

    func testSixteenBitGrayKeepsAllBitsAndScalesToEight() throws {
        let samples = try PNGCodec.decodeSamples(Fixture.data("gray16.png"), name: "gray16.png")
        XCTAssertEqual(samples.bitDepth, 16)
        XCTAssertEqual(samples.samples, Fixture.gray16())
        let image = try ImageDecoder.decode(contentsOf: Fixture.url("gray16.png"))
        XCTAssertEqual(image.pixels, Fixture.gray16().map { UInt8((Double($0) / 257).rounded()) })
    }

    func testSixteenBitRGB() throws {
        let samples = try PNGCodec.decodeSamples(Fixture.data("rgb16.png"), name: "rgb16.png")
        XCTAssertEqual(samples.channels, 3)
        XCTAssertEqual(samples.samples, Fixture.gray16().flatMap { [$0, $0 ^ 0x00FF, $0 ^ 0xFF00] })
    }

    func testTruncatedAndCorruptFilesGiveClearErrors() throws {
        XCTAssertImagingError(try ImageDecoder.decode(contentsOf: Fixture.url("gray8-truncated.png")),
                              contains: ["gray8-truncated.png", "PNG", "truncated"])
        XCTAssertImagingError(try ImageDecoder.decode(contentsOf: Fixture.url("gray8-corrupt.png")),
                              contains: ["gray8-corrupt.png", "PNG"])
        XCTAssertImagingError(try ImageDecoder.decode(Data(), name: "empty.png"), contains: ["empty.png", "empty"])
        XCTAssertImagingError(try ImageDecoder.decode(Data("hello, world".utf8), name: "text.png"),
                              contains: ["text.png", "not a PNG, JPEG or DICOM"])
        XCTAssertImagingError(try ImageDecoder.decode(contentsOf: Fixture.url("missing.png")),
                              contains: ["missing.png", "cannot read"])
    }

    func testEncodeRoundTrips() throws {
        let gray = GrayscaleImage(width: 23, height: 17, pixels: Fixture.pattern8(7, 13))
        XCTAssertEqual(try PNGCodec.decode(PNGCodec.encode(gray), name: "round trip"), gray)
        let rgb = RGBImage(width: 23, height: 17, pixels: (0..<(23 * 17 * 3)).map { UInt8(($0 * 37) & 255) })
        let samples = try PNGCodec.decodeSamples(PNGCodec.encode(rgb), name: "round trip")
        XCTAssertEqual(samples.channels, 3)
        XCTAssertEqual(samples.samples.map { UInt8($0) }, rgb.pixels)
    }

    /// Real NIH images decode to 1024 × 1024,
    /// and area-reducing them by 4 gives the shared 256 × 256 set (box-downscaled) within 1.
    func testRealImagesMatchTheDownscaledSet() throws {
        guard let images = SharedData.url("nih/images"), let small = SharedData.url("nih/images-256") else {
            throw XCTSkip("the shared data's nih/images and images-256 (THORAX_SHARED_DATA) are not here")
        }
        let names = ["00000002_000.png", "00000020_001.png"]
        for name in names {
            let image = try ImageDecoder.decode(contentsOf: images.appendingPathComponent(name))
            XCTAssertEqual(image.width, 1024)
            XCTAssertEqual(image.height, 1024)
            let reduced = image.resized(width: 256, height: 256, method: .area)
            let reference = try ImageDecoder.decode(contentsOf: small.appendingPathComponent(name))
            let difference = zip(reduced.pixels, reference.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
            XCTAssertLessThanOrEqual(difference, 1, name)
        }
    }

    func testRealRGBAImageEqualsItsRedChannel() throws {
        guard let url = SharedData.url("nih/boxed/00001369_000.png") else {
            throw XCTSkip("the shared data's nih/boxed (THORAX_SHARED_DATA) is not here")
        }
        let samples = try PNGCodec.decodeSamples(Data(contentsOf: url), name: url.path)
        XCTAssertEqual(samples.channels, 4)
        let gray = try ImageDecoder.decode(contentsOf: url)
        // R = G = B in the release's RGBA files, so the luma is the red channel.
        XCTAssertEqual(gray.pixels, stride(from: 0, to: samples.samples.count, by: 4).map { UInt8(samples.samples[$0]) })
    }
}

/// The direct encoder (Up filter, ISA-L deflate) against libpng: libpng decodes what it writes
/// to the same pixels as libpng's own file.
final class PNGDirectEncoderTests: XCTestCase {
    func testDirectFilesDecodeToTheirPixelsWithLibPNG() throws {
        var generator = SplitMix64(seed: 17)
        for (width, height, channels) in [(1, 1, 1), (1, 1, 3), (7, 5, 1), (64, 3, 3), (333, 17, 3), (5, 300, 1)] {
            // Smooth gradients with noise: rows that repeat, differ, and wrap around 255.
            let pixels = (0..<(width * height * channels)).map { i in UInt8(truncatingIfNeeded: i / 7 + generator.below(3) * 90) }
            let direct = try XCTUnwrap(pixels.withUnsafeBufferPointer {
                PNGDirectEncoder.encode($0, width: width, height: height, channels: channels)
            })
            let viaLibPNG = try pixels.withUnsafeBytes {
                try PNGCodec.encodeWithLibPNG($0.baseAddress!, width: width, height: height, channels: channels, compression: .fast)
            }
            let decoded = try PNGCodec.decodeSamplesWithLibPNG(direct, name: "direct")
            let reference = try PNGCodec.decodeSamplesWithLibPNG(viaLibPNG, name: "libpng")
            XCTAssertEqual([decoded.width, decoded.height, decoded.channels, decoded.bitDepth], [width, height, channels, 8])
            XCTAssertEqual(decoded.samples, reference.samples, "\(width)×\(height)×\(channels)")
            XCTAssertEqual(decoded.samples.map { UInt8($0) }, pixels)
        }
    }

    func testFastEncodingOfImagesGoesThroughTheDirectPath() throws {
        let rgb = RGBImage(width: 3, height: 2, pixels: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180])
        let fast = try PNGCodec.encode(rgb, compression: .fast)
        let direct = try XCTUnwrap(rgb.pixels.withUnsafeBufferPointer { PNGDirectEncoder.encode($0, width: 3, height: 2, channels: 3) })
        XCTAssertEqual(fast, direct)
        XCTAssertEqual(try PNGCodec.decodeSamples(fast, name: "fast").samples.map { UInt8($0) }, rgb.pixels)
        let gray = GrayscaleImage(width: 2, height: 2, pixels: [0, 255, 128, 7])
        XCTAssertEqual(try PNGCodec.decode(PNGCodec.encode(gray, compression: .fast), name: "fast gray"), gray)
    }
}

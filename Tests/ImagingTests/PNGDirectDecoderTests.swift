import CZlib
import Foundation
import Random
import TestSupport
import XCTest
@testable import Imaging

/// The direct PNG path (chunk walk, ISA-L inflate, unfilter) against its reference twin, libpng.
final class PNGDirectDecoderTests: XCTestCase {
    /// Every committed PNG fixture decodes to libpng's samples; the layouts the direct path
    /// covers do go through it, the palette file does not.
    func testFixturesEqualLibPNG() throws {
        let direct = ["gray8.png", "gray16.png", "gray-alpha8.png", "rgb8.png", "rgb16.png", "rgba8.png", "nih-dicom-crops.png"]
        for name in direct + ["palette8.png"] {
            let data = try Fixture.data(name)
            XCTAssertEqual(PNGDirectDecoder.decode(data) != nil, direct.contains(name), name)
            XCTAssertEqual(try PNGCodec.decodeSamples(data, name: name), try PNGCodec.decodeSamplesWithLibPNG(data, name: name), name)
            XCTAssertEqual(try PNGCodec.decode(data, name: name), try PNGCodec.decodeWithLibPNG(data, name: name), name)
        }
    }

    /// Random images of every covered layout, odd widths, each of the five filters on some row
    /// and the image data split over several IDAT chunks.
    func testEveryFilterLayoutAndChunkingEqualsLibPNG() throws {
        var generator = SplitMix64(seed: 2017)
        for (channels, bitDepth) in [(1, 8), (1, 16), (2, 8), (2, 16), (3, 8), (3, 16), (4, 8), (4, 16)] {
            for width in [1, 2, 7, 31] {
                let height = 11
                let bytesPerPixel = channels * bitDepth / 8
                // Smooth-ish content so the predictors matter, with noise so every byte varies.
                var raw = [UInt8](repeating: 0, count: width * bytesPerPixel * height)
                for i in raw.indices { raw[i] = UInt8(truncatingIfNeeded: (i * 7) / 3 + Int(generator.next() % 9)) }
                let filters = (0..<height).map { UInt8($0 % 5) }
                let file = TestPNGWriter.png(raw: raw, width: width, height: height, channels: channels,
                                             bitDepth: bitDepth, filters: filters, idatPieces: 1 + width % 3)
                let name = "random \(channels)×\(bitDepth) width \(width)"
                let decoded = try XCTUnwrap(PNGDirectDecoder.decode(file), name)
                XCTAssertEqual(decoded.bytes, raw, name)
                XCTAssertEqual(try PNGCodec.decodeSamples(file, name: name), try PNGCodec.decodeSamplesWithLibPNG(file, name: name), name)
            }
        }
    }

    /// The first 40 real NIH images (1024² 8-bit gray, all five filters in use) equal libpng.
    func testRealNIHImagesEqualLibPNG() throws {
        guard let directory = SharedData.url("nih/images") else { throw XCTSkip("the shared data's nih/images (THORAX_SHARED_DATA) is not here") }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".png") }.sorted().prefix(40)
        XCTAssertFalse(names.isEmpty)
        for name in names {
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            let direct = try XCTUnwrap(PNGDirectDecoder.decode(data), name)
            XCTAssertEqual(direct.header.channels, 1, name)
            XCTAssertEqual(try PNGCodec.decode(data, name: name), try PNGCodec.decodeWithLibPNG(data, name: name), name)
        }
    }

    /// What the direct path must refuse (and leave to libpng): bad CRCs, a bad zlib checksum,
    /// missing image data or end, interlacing, transparency chunks, unknown critical chunks,
    /// a wrong amount of image data, an unknown filter type.
    func testRefusesWhatItMustLeaveToLibPNG() throws {
        let raw = (0..<(9 * 5)).map { UInt8(truncatingIfNeeded: $0 * 37) }
        let good = TestPNGWriter.png(raw: raw, width: 9, height: 5, channels: 1, bitDepth: 8, filters: [0, 1, 2, 3, 4], idatPieces: 1)
        XCTAssertNotNil(PNGDirectDecoder.decode(good))

        let chunks = TestPNGWriter.chunks(of: good)
        let idat = try XCTUnwrap(chunks.first { $0.type == "IDAT" })
        var badCRC = good
        badCRC[idat.offset + 8 + idat.length] ^= 0x01
        XCTAssertNil(PNGDirectDecoder.decode(badCRC), "IDAT CRC")

        // Flip the Adler-32 trailer (last 4 bytes of the zlib stream) and re-sign the chunk.
        var badAdler = good
        badAdler[idat.offset + 8 + idat.length - 1] ^= 0x01
        TestPNGWriter.resign(&badAdler, chunkAt: idat.offset)
        XCTAssertNil(PNGDirectDecoder.decode(badAdler), "Adler-32")
        XCTAssertThrowsError(try PNGCodec.decode(badAdler, name: "bad-adler.png"))

        let iend = try XCTUnwrap(chunks.first { $0.type == "IEND" })
        let noEnd = good.prefix(iend.offset)
        XCTAssertNil(PNGDirectDecoder.decode(noEnd), "no IEND")
        XCTAssertImagingError(try PNGCodec.decode(noEnd, name: "no-end.png"), contains: ["no-end.png", "PNG"])

        let interlaced = TestPNGWriter.png(raw: raw, width: 9, height: 5, channels: 1, bitDepth: 8, filters: [0, 0, 0, 0, 0],
                                           idatPieces: 1, interlace: 1)
        XCTAssertNil(PNGDirectDecoder.decode(interlaced), "interlaced header")

        let withTransparency = TestPNGWriter.insert(chunk: "tRNS", body: [0, 7], before: idat.offset, in: good)
        XCTAssertNil(PNGDirectDecoder.decode(withTransparency), "tRNS")
        let withUnknownCritical = TestPNGWriter.insert(chunk: "ZZZZ", body: [1], before: idat.offset, in: good)
        XCTAssertNil(PNGDirectDecoder.decode(withUnknownCritical), "unknown critical chunk")
        let withAncillary = TestPNGWriter.insert(chunk: "tEXt", body: Array("Comment\u{0}hello".utf8), before: idat.offset, in: good)
        XCTAssertNotNil(PNGDirectDecoder.decode(withAncillary), "an ancillary text chunk changes nothing")

        let tooShort = TestPNGWriter.png(raw: Array(raw.prefix(9 * 4)), width: 9, height: 5, channels: 1, bitDepth: 8,
                                         filters: [0, 0, 0, 0], idatPieces: 1)
        XCTAssertNil(PNGDirectDecoder.decode(tooShort), "image data for 4 of 5 rows")
        XCTAssertThrowsError(try PNGCodec.decode(tooShort, name: "short.png"))

        let badFilter = TestPNGWriter.png(raw: raw, width: 9, height: 5, channels: 1, bitDepth: 8, filters: [0, 1, 5, 3, 4], idatPieces: 1)
        XCTAssertNil(PNGDirectDecoder.decode(badFilter), "filter type 5")
        XCTAssertThrowsError(try PNGCodec.decode(badFilter, name: "bad-filter.png"))

        // Every truncation of a real-layout file is refused by the direct path or equals libpng.
        for cut in stride(from: 0, to: good.count, by: 3) {
            let truncated = good.prefix(cut)
            XCTAssertNil(PNGDirectDecoder.decode(truncated), "cut at \(cut)")
        }
    }
}

/// A test-only PNG writer with per-row filter choice and IDAT splitting (libpng's writer picks
/// filters itself, so it cannot exercise each filter on demand). Uses zlib for the stream and
/// its CRC-32, independent of the ISA-L code under test.
enum TestPNGWriter {
    static func png(raw: [UInt8], width: Int, height: Int, channels: Int, bitDepth: Int, filters: [UInt8],
                    idatPieces: Int, interlace: UInt8 = 0) -> Data {
        let bpp = channels * bitDepth / 8, rowBytes = width * bpp
        var filtered: [UInt8] = []
        for (y, filter) in filters.enumerated() {
            filtered.append(filter)
            for i in 0..<rowBytes {
                let x = Int(raw[y * rowBytes + i])
                let a = i >= bpp ? Int(raw[y * rowBytes + i - bpp]) : 0
                let b = y > 0 ? Int(raw[(y - 1) * rowBytes + i]) : 0
                let c = (i >= bpp && y > 0) ? Int(raw[(y - 1) * rowBytes + i - bpp]) : 0
                let predicted: Int
                switch filter {
                case 1: predicted = a
                case 2: predicted = b
                case 3: predicted = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predicted = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: predicted = 0
                }
                filtered.append(UInt8(truncatingIfNeeded: x - predicted))
            }
        }
        var compressedSize = compressBound(uLong(filtered.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedSize))
        _ = compress2(&compressed, &compressedSize, filtered, uLong(filtered.count), 6)
        compressed.removeLast(compressed.count - Int(compressedSize))

        var file = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let colourType: UInt8 = [1: 0, 2: 4, 3: 2, 4: 6][channels]!
        append(chunk: "IHDR", body: bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [UInt8(bitDepth), colourType, 0, 0, interlace], to: &file)
        let pieceSize = max(1, (compressed.count + idatPieces - 1) / idatPieces)
        for start in stride(from: 0, to: compressed.count, by: pieceSize) {
            append(chunk: "IDAT", body: Array(compressed[start..<min(start + pieceSize, compressed.count)]), to: &file)
        }
        append(chunk: "IEND", body: [], to: &file)
        return file
    }

    static func append(chunk type: String, body: [UInt8], to file: inout Data) {
        let typeAndBody = Array(type.utf8) + body
        file.append(contentsOf: bigEndian(UInt32(body.count)) + typeAndBody + bigEndian(crc(typeAndBody)))
    }

    static func insert(chunk type: String, body: [UInt8], before offset: Int, in file: Data) -> Data {
        var piece = Data()
        append(chunk: type, body: body, to: &piece)
        var result = file.prefix(offset)
        result.append(piece)
        result.append(file.suffix(from: offset))
        return result
    }

    /// Rewrites the CRC of the chunk at `offset` after its body was changed.
    static func resign(_ file: inout Data, chunkAt offset: Int) {
        let bytes = [UInt8](file)
        let length = Int(UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3]))
        let value = crc(Array(bytes[(offset + 4)..<(offset + 8 + length)]))
        file.replaceSubrange((offset + 8 + length)..<(offset + 12 + length), with: bigEndian(value))
    }

    static func chunks(of file: Data) -> [(type: String, offset: Int, length: Int)] {
        let bytes = [UInt8](file)
        var result: [(String, Int, Int)] = []
        var offset = 8
        while offset + 12 <= bytes.count {
            let length = Int(UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3]))
            result.append((String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self), offset, length))
            offset += 12 + length
        }
        return result
    }

    static func crc(_ bytes: [UInt8]) -> UInt32 { UInt32(crc32(0, bytes, uInt(bytes.count))) }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}

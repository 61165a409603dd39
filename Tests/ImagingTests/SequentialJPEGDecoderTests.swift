import Foundation
import Random
import XCTest
@testable import Imaging

/// The Swift sequential-DCT decoder: 12-bit DICOM files made by dcmtk's `dcmcjpeg +ee` must
/// decode to exactly what dcmtk's `dcmdjpeg` (IJG 6b, islow IDCT) gives (*.reference.png, made by
/// scripts/make-imaging-fixtures.py); 8-bit files must decode to exactly what libjpeg-turbo
/// (the other implementation of the same IDCT) gives, which checks the IDCT, restart intervals
/// and interleaved subsampled scans against a reference twin.
final class SequentialJPEGDecoderTests: XCTestCase {
    /// The JPEG stream of a DICOM fixture's first frame.
    func firstFrame(_ name: String) throws -> [UInt8] {
        let file = try DICOMFile(contentsOf: Fixture.url(name))
        let pixelData = try XCTUnwrap(file.pixelData)
        return try file.firstFrameFragments(pixelData, XCTUnwrap(pixelData.fragments))
    }

    func testTwelveBitDICOMEqualsDcmdjpeg() throws {
        for name in ["jpeg-extended12", "jpeg-extended12-q20", "jpeg-extended12-noise", "jpeg-extended12-two-frames",
                     "jpeg-extended12-restart"] {
            let ours = try stored(name + ".dcm"), reference = try referenceValues(name + ".reference.png")
            XCTAssertEqual(ours.count, 64 * 48, name)
            XCTAssertEqual(ours, reference, name)
        }
        // Labelled baseline (.50) but holding 12-bit samples, as some writers do: decoded the same.
        var relabelled = try Fixture.data("jpeg-extended12.dcm")
        let uid = try XCTUnwrap(relabelled.range(of: Data("1.2.840.10008.1.2.4.51".utf8)))
        relabelled[uid.upperBound - 1] = UInt8(ascii: "0")
        let file = try DICOMFile(relabelled, name: "relabelled.dcm")
        XCTAssertEqual(file.metadata.transferSyntaxUID, DICOMTransferSyntax.jpegBaseline)
        XCTAssertEqual(try file.storedValues(), try referenceValues("jpeg-extended12.reference.png"))
        // The noise fixture reaches both ends of the range (the IDCT's clamp is exercised).
        let noise = try referenceValues("jpeg-extended12-noise.reference.png")
        XCTAssertEqual(noise.min(), 0)
        XCTAssertEqual(noise.max(), 4095)
    }

    /// The restart fixture (made by the script: RSTn every 5 blocks, mid-row) decodes like
    /// the file it was re-encoded from; a missing restart marker is named.
    func testTwelveBitRestartIntervals() throws {
        var frame = try firstFrame("jpeg-extended12-restart.dcm")
        let restarts = (0..<(frame.count - 1)).filter { frame[$0] == 0xFF && (0xD0...0xD7).contains(frame[$0 + 1]) }
        XCTAssertEqual(restarts.count, 9)
        XCTAssertEqual(try SequentialJPEGDecoder.decode(frame).samples.map { Int32($0) },
                       try referenceValues("jpeg-extended12.reference.png"))
        frame.removeSubrange(restarts[3]..<(restarts[3] + 2))
        XCTAssertThrowsError(try SequentialJPEGDecoder.decode(frame)) { error in
            XCTAssertTrue("\(error)".contains("expected a restart marker"), "\(error)")
        }
    }

    func testTwelveBitStreamDetails() throws {
        let frame = try firstFrame("jpeg-extended12-q20.dcm")
        let sof = try XCTUnwrap(JPEGMarkers.startOfFrame(in: Data(frame)))
        XCTAssertEqual(sof.marker, 0xC1)
        XCTAssertEqual(sof.precision, 12)
        // dcmcjpeg at quality 20 writes 16-bit quantization entries (Pq = 1).
        let dqt = try XCTUnwrap((0..<(frame.count - 4)).first { frame[$0] == 0xFF && frame[$0 + 1] == 0xDB })
        XCTAssertEqual(frame[dqt + 4] >> 4, 1)
        let image = try SequentialJPEGDecoder.decode(frame)
        XCTAssertEqual(image.precision, 12)
        XCTAssertEqual(image.width, 64)
        XCTAssertEqual(image.height, 48)
        // The rendered image (Modality LUT, window) goes through the same path as other syntaxes.
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: Fixture.url("jpeg-extended12.dcm")).width, 64)
    }

    /// 8-bit streams through the same path equal libjpeg-turbo's accurate (islow) decode:
    /// gray, restart intervals mid-row, noise at quality 100 (clamping), 4:4:4 and 4:2:0
    /// colour with restarts (the luma component), and the DICOM 8-bit baseline/extended frames.
    func testEightBitEqualsLibjpegTurbo() throws {
        var streams: [(String, [UInt8])] = []
        for name in ["gray-baseline.jpg", "gray-restart.jpg", "gray-noise-q100.jpg", "rgb-baseline.jpg", "rgb420-restart.jpg"] {
            streams.append((name, [UInt8](try Fixture.data(name))))
        }
        for name in ["jpeg-baseline8.dcm", "jpeg-extended8.dcm"] {
            streams.append((name, try firstFrame(name)))
        }
        for (name, stream) in streams {
            let ours = try SequentialJPEGDecoder.decode(stream)
            let turbo = try JPEGCodec.decode(Data(stream), name: name)
            XCTAssertEqual(ours.width, turbo.width, name)
            XCTAssertEqual(ours.height, turbo.height, name)
            XCTAssertEqual(ours.precision, 8, name)
            XCTAssertEqual(ours.samples, turbo.pixels.map { UInt32($0) }, name)
        }
        let restarts = [UInt8](try Fixture.data("gray-restart.jpg"))
        XCTAssertGreaterThan((0..<(restarts.count - 1)).filter { restarts[$0] == 0xFF && (0xD0...0xD7).contains(restarts[$0 + 1]) }.count, 5)
    }

    func testOtherProcessesAreRefusedByName() throws {
        let progressive = [UInt8](try Fixture.data("gray-progressive.jpg"))
        XCTAssertThrowsError(try SequentialJPEGDecoder.decode(progressive)) { error in
            XCTAssertTrue("\(error)".contains("SOF2 (progressive)"), "\(error)")
        }
        let lossless = try firstFrame("jpeg-lossless-sv1-16.dcm")
        XCTAssertThrowsError(try SequentialJPEGDecoder.decode(lossless)) { error in
            XCTAssertTrue("\(error)".contains("SOF3 (lossless)"), "\(error)")
        }
        // And the lossless decoder, sharing the marker walk, refuses the DCT frame.
        XCTAssertThrowsError(try LosslessJPEGDecoder.decode(try firstFrame("jpeg-extended12.dcm"))) { error in
            XCTAssertTrue("\(error)".contains("SOF1 is not a lossless Huffman frame"), "\(error)")
        }
    }

    /// Every ~1% prefix of a 12-bit file is a clear error naming the file.
    func testTruncatedTwelveBitFilesAreErrorsNamingTheFile() throws {
        let name = "jpeg-extended12-noise.dcm"
        let data = try Fixture.data(name)
        for cut in stride(from: 0, to: data.count - 2, by: max(1, data.count / 101)) {
            XCTAssertImagingError(try ImageDecoder.decode(data.prefix(cut), name: name), contains: [name])
        }
        // A frame cut inside the entropy-coded data says where it ended.
        let frame = try firstFrame("jpeg-extended12.dcm")
        XCTAssertThrowsError(try SequentialJPEGDecoder.decode(Array(frame.prefix(frame.count * 2 / 3)))) { error in
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
    }

    /// Seeded mutations (1–8 flipped bytes anywhere in the frame, every fifth file also cut):
    /// each one decodes or throws an `ImagingError` naming the file — never a trap.
    func testMutatedTwelveBitFilesNeverCrash() throws {
        var generator = SplitMix64(seed: 4051)
        var decoded = 0, failed = 0
        for name in ["jpeg-extended12.dcm", "jpeg-extended12-q20.dcm", "jpeg-extended12-noise.dcm", "jpeg-extended12-restart.dcm"] {
            let original = try Fixture.data(name)
            let frameStart = try XCTUnwrap(original.range(of: Data([0xFF, 0xD8, 0xFF]))).lowerBound
            for trial in 0..<120 {
                var data = original
                for _ in 0...generator.below(8) {
                    let offset = frameStart + generator.below(data.count - frameStart)
                    data[offset] ^= UInt8(1 + generator.below(255))
                }
                if trial % 5 == 0 { data = data.prefix(frameStart + generator.below(data.count - frameStart)) }
                do {
                    let image = try ImageDecoder.decode(data, name: name)
                    XCTAssertEqual(image.pixels.count, 64 * 48)
                    decoded += 1
                } catch let error as ImagingError {
                    XCTAssertTrue(error.description.contains(name), "\(error)")
                    failed += 1
                }
            }
        }
        XCTAssertEqual(decoded + failed, 480)
        XCTAssertGreaterThan(failed, 0)
        // The interleaved, subsampled path (4:2:0 with restarts), reached only by 8-bit streams
        // here: the decoder itself decodes or throws its failure.
        let colour = [UInt8](try Fixture.data("rgb420-restart.jpg"))
        var colourFailures = 0
        for trial in 0..<200 {
            var stream = colour
            for _ in 0...generator.below(8) { stream[2 + generator.below(stream.count - 2)] ^= UInt8(1 + generator.below(255)) }
            if trial % 5 == 0 { stream = Array(stream.prefix(2 + generator.below(stream.count - 2))) }
            do { _ = try SequentialJPEGDecoder.decode(stream) } catch is JPEGDecodingFailure { colourFailures += 1 }
        }
        XCTAssertGreaterThan(colourFailures, 0)
    }

    func testTwelveBitColourIsRefusedInDICOM() throws {
        // A 3-component 12-bit frame header in a DICOM file: named, not decoded as luma.
        let name = "jpeg-extended12.dcm"
        var data = try Fixture.data(name)
        let frameStart = try XCTUnwrap(data.range(of: Data([0xFF, 0xD8, 0xFF]))).lowerBound
        let sof = try XCTUnwrap(data[frameStart...].range(of: Data([0xFF, 0xC1]))).lowerBound
        data[sof + 9] = 3
        XCTAssertImagingError(try ImageDecoder.decode(data, name: name),
                              contains: [name, "12-bit samples and 3 components is not supported"])
    }
}

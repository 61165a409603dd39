import Multipart
import Random
import XCTest

final class MultipartParserTests: XCTestCase {
    let contentType = #"multipart/related; type="application/dicom"; boundary="frontier""#

    func body(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Two parts; the second's bytes hold CR, LF, NUL, "--", and a near-boundary.
    var twoParts: [UInt8] {
        body("preamble to ignore\r\n--frontier\r\nContent-Type: application/dicom\r\nContent-Location: a\r\n\r\n")
            + [0x44, 0x49, 0x43, 0x4D] + body("\r\n--frontier  \t\r\ncontent-type: application/dicom\r\n\r\n")
            + [0x00, 0x0D, 0x0A, 0x2D, 0x2D] + body("\r\n--frontie\r\n-frontier\r\n") + [0xFF]
            + body("\r\n--frontier--  \r\nepilogue to ignore")
    }

    func testPartsHeadersAndBinaryBodies() throws {
        let parts = try MultipartParser.parse(twoParts, contentType: contentType)
        XCTAssertEqual(parts.count, 2)
        XCTAssertEqual(parts[0].contentType, "application/dicom")
        XCTAssertEqual(parts[0].header("content-location"), "a")
        XCTAssertEqual(parts[0].body, [0x44, 0x49, 0x43, 0x4D])
        XCTAssertEqual(parts[1].header("Content-Type"), "application/dicom")
        XCTAssertEqual(parts[1].headers.first?.name, "content-type", "names keep their case")
        XCTAssertEqual(parts[1].body, [0x00, 0x0D, 0x0A, 0x2D, 0x2D] + body("\r\n--frontie\r\n-frontier\r\n") + [0xFF])
    }

    /// The parts do not depend on how the body is cut into chunks: every cut into two, and
    /// every fixed chunk size from 1 byte.
    func testEveryChunkingGivesTheSameParts() throws {
        let whole = try MultipartParser.parse(twoParts, contentType: contentType)
        for cut in 0...twoParts.count {
            XCTAssertEqual(try parse(in: [Array(twoParts[..<cut]), Array(twoParts[cut...])]), whole, "cut at \(cut)")
        }
        for size in 1...17 {
            let chunks = stride(from: 0, to: twoParts.count, by: size).map { Array(twoParts[$0..<min($0 + size, twoParts.count)]) }
            XCTAssertEqual(try parse(in: chunks), whole, "chunks of \(size)")
        }
    }

    func parse(in chunks: [[UInt8]], requireContentType: Bool = false,
               limits: MultipartParser.Limits = .init()) throws -> [MultipartPart] {
        var parser = try MultipartParser(contentType: contentType, requirePartContentType: requireContentType, limits: limits)
        var parts: [MultipartPart] = []
        for chunk in chunks { parts += try parser.append(chunk) }
        return parts + (try parser.finish())
    }

    func testPartsWithoutHeadersAndEmptyParts() throws {
        let parts = try MultipartParser.parse(
            body("--frontier\r\n\r\nno headers\r\n--frontier\r\n\r\n--frontier\r\nX: 1\r\n\r\n\r\n--frontier--"),
            contentType: contentType)
        XCTAssertEqual(parts, [
            MultipartPart(body: body("no headers")),
            MultipartPart(body: []),
            MultipartPart(headers: [HeaderField("X", "1")], body: []),
        ])
        XCTAssertEqual(try MultipartParser.parse(body("--frontier--"), contentType: contentType), [], "no parts at all")
    }

    func testFoldedHeadersAreUnfolded() throws {
        let parts = try MultipartParser.parse(body("--frontier\r\nContent-Type: application/dicom;\r\n\ttransfer-syntax=1.2\r\n\r\nx\r\n--frontier--"),
                                              contentType: contentType)
        XCTAssertEqual(parts.first?.contentType, "application/dicom; transfer-syntax=1.2")
    }

    /// FuzzMultipart's finding: a folded header whose first line has an empty value read as
    /// " continuation" (a leading space), which did not survive being written back and read again.
    func testAFoldedHeaderWithAnEmptyFirstLineRoundTrips() throws {
        let text = "--frontier\r\nContent-Location:\r\n on/dico\u{FFFD} Cer  i: b\r\nX: a\r\n \r\n\r\n\r\n--fronti\r\n--frontier--"
        let parts = try MultipartParser.parse(body(text), contentType: contentType)
        XCTAssertEqual(parts.first?.header("Content-Location"), "on/dico\u{FFFD} Cer  i: b")
        XCTAssertEqual(parts.first?.header("X"), "a")
        XCTAssertEqual(parts.first?.body, body("\r\n--fronti"))
        let writer = try MultipartWriter(boundary: "frontier")
        XCTAssertEqual(try MultipartParser.parse(try writer.encode(parts), contentType: writer.contentType()), parts)
    }

    func testMissingOrInvalidBoundaryInTheContentType() {
        XCTAssertThrowsError(try MultipartParser(contentType: "multipart/related; type=application/dicom")) {
            XCTAssertEqual($0 as? MultipartError, .missingBoundary("multipart/related; type=application/dicom"))
            XCTAssertTrue("\($0)".contains("no boundary parameter"))
        }
        XCTAssertThrowsError(try MultipartParser(contentType: "application/dicom; boundary=x")) {
            XCTAssertEqual($0 as? MultipartError, .notMultipart("application/dicom; boundary=x"))
        }
        for bad in [String(repeating: "b", count: 71), "ends in space ", "no\u{E9}ascii", ""] {
            XCTAssertThrowsError(try MultipartParser(contentType: "multipart/related; boundary=\"\(bad)\""), bad) {
                guard case .invalidBoundary? = $0 as? MultipartError else { return XCTFail("\(bad): \($0)") }
            }
        }
        XCTAssertNoThrow(try MultipartParser(contentType: "multipart/related; boundary=" + String(repeating: "b", count: 70)))
    }

    /// Orthanc 1.10's DICOMweb client writes 73-character boundaries (two UUIDs and a dash): a
    /// reader that raises the limit parses its bodies; the default still refuses them.
    func testALongerBoundaryIsTakenWhenTheLimitAllowsIt() throws {
        let boundary = "bd78b588-85f7-422d-8435-1f439fbe76d2-bd78b588-85f7-422d-8435-1f439fbe76d2"
        XCTAssertEqual(boundary.count, 73)
        let contentType = "multipart/related; type=\"application/dicom\"; boundary=\(boundary)"
        XCTAssertThrowsError(try MultipartParser(contentType: contentType)) {
            XCTAssertTrue("\($0)".contains("it has 73 characters, 1 to 70 are allowed"), "\($0)")
        }
        let body = Array("--\(boundary)\r\nContent-Type: application/dicom\r\n\r\nDICM\r\n--\(boundary)--\r\n".utf8)
        var parser = try MultipartParser(contentType: contentType, limits: .init(maximumBoundaryCharacters: 200))
        let parts = try parser.append(body) + parser.finish()
        XCTAssertEqual(parts, [MultipartPart(contentType: "application/dicom", body: Array("DICM".utf8))])
        XCTAssertThrowsError(try MultipartParser(contentType: "multipart/related; boundary=" + String(repeating: "b", count: 201),
                                                 limits: .init(maximumBoundaryCharacters: 200)))
    }

    func testTruncatedBodiesSayWhere() {
        func truncation(_ text: String) -> MultipartError? {
            do {
                _ = try MultipartParser.parse(body(text), contentType: contentType)
                return nil
            } catch {
                return error as? MultipartError
            }
        }
        XCTAssertEqual(truncation(""), .truncated(part: nil))
        XCTAssertEqual(truncation("just a preamble\r\n--fron"), .truncated(part: nil))
        XCTAssertEqual(truncation("--frontier"), .truncated(part: 1))
        XCTAssertEqual(truncation("--frontier\r\n"), .truncated(part: 1))
        XCTAssertEqual(truncation("--frontier\r\nContent-Type: a/b\r\n"), .truncated(part: 1))
        XCTAssertEqual(truncation("--frontier\r\nContent-Type: a/b\r\n\r\nbody\r\n--frontier\r\n\r\nsecond"), .truncated(part: 2))
        XCTAssertEqual(truncation("--frontier\r\n\r\nbody\r\n--frontier\r\n\r\nsecond\r\n--frontier-"), .truncated(part: 2))
        XCTAssertTrue("\(MultipartError.truncated(part: 2))".contains("ends inside part 2"))
    }

    func testAPartWithoutContentTypeWhereOneIsRequired() {
        let text = "--frontier\r\nContent-Type: application/dicom\r\n\r\na\r\n--frontier\r\nContent-Length: 1\r\n\r\nb\r\n--frontier--"
        XCTAssertNoThrow(try MultipartParser.parse(body(text), contentType: contentType))
        XCTAssertThrowsError(try MultipartParser.parse(body(text), contentType: contentType, requirePartContentType: true)) {
            XCTAssertEqual($0 as? MultipartError, .missingContentType(part: 2))
        }
        XCTAssertThrowsError(try MultipartParser.parse(body("--frontier\r\n\r\nx\r\n--frontier--"), contentType: contentType,
                                                       requirePartContentType: true)) {
            XCTAssertEqual($0 as? MultipartError, .missingContentType(part: 1))
        }
    }

    func testMalformedBoundaryLinesAndHeaders() {
        XCTAssertThrowsError(try MultipartParser.parse(body("--frontierX\r\n\r\nx\r\n--frontier--"), contentType: contentType)) {
            XCTAssertEqual($0 as? MultipartError, .malformedBoundaryLine(part: 1))
        }
        XCTAssertThrowsError(try MultipartParser.parse(body("--frontier\r\nno colon here\r\n\r\nx\r\n--frontier--"), contentType: contentType)) {
            XCTAssertEqual($0 as? MultipartError, .malformedHeader(part: 1, line: "no colon here"))
        }
        XCTAssertThrowsError(try MultipartParser.parse(body("--frontier\r\nBad Name: 1\r\n\r\nx\r\n--frontier--"), contentType: contentType)) {
            XCTAssertEqual($0 as? MultipartError, .malformedHeader(part: 1, line: "Bad Name: 1"))
        }
    }

    func testLimits() {
        let limits = MultipartParser.Limits(maximumPartBytes: 8, maximumHeaderBytes: 32, maximumParts: 2)
        XCTAssertNoThrow(try parse(in: [body("--frontier\r\n\r\n12345678\r\n--frontier--")], limits: limits))
        XCTAssertThrowsError(try parse(in: [body("--frontier\r\n\r\n123456789\r\n--frontier--")], limits: limits)) {
            XCTAssertEqual($0 as? MultipartError, .partTooLarge(part: 1, limit: 8))
        }
        // Arriving a byte at a time, a too-large part fails before its end is seen.
        let endless = body("--frontier\r\n\r\n") + [UInt8](repeating: 0x41, count: 100)
        XCTAssertThrowsError(try parse(in: endless.map { [$0] }, limits: limits)) {
            XCTAssertEqual($0 as? MultipartError, .partTooLarge(part: 1, limit: 8))
        }
        XCTAssertThrowsError(try parse(in: [body("--frontier\r\nX: " + String(repeating: "y", count: 40) + "\r\n\r\n")], limits: limits)) {
            XCTAssertEqual($0 as? MultipartError, .headersTooLarge(part: 1, limit: 32))
        }
        XCTAssertThrowsError(try parse(in: [body("--frontier\r\n\r\na\r\n--frontier\r\n\r\nb\r\n--frontier\r\n\r\nc\r\n--frontier--")],
                                       limits: limits)) {
            XCTAssertEqual($0 as? MultipartError, .tooManyParts(limit: 2))
        }
    }

    /// Random parts written by the writer and read back in random chunks come back equal.
    func testWriterRoundTripsThroughRandomChunks() throws {
        var random = SplitMix64(seed: 13)
        for trial in 0..<40 {
            let writer = MultipartWriter()
            let parts = (0..<(random.below(4))).map { index in
                let bytes = (0..<random.below(trial < 5 ? 4 : 3000)).map { _ in UInt8(random.below(256)) }
                return MultipartPart(contentType: index % 2 == 0 ? "application/dicom" : "application/octet-stream",
                                     body: bytes, headers: [HeaderField("Content-ID", "<\(index)@thorax>")])
            }
            let encoded = try writer.encode(parts)
            var chunks: [[UInt8]] = []
            var offset = 0
            while offset < encoded.count {
                let size = 1 + random.below(200)
                chunks.append(Array(encoded[offset..<min(offset + size, encoded.count)]))
                offset += size
            }
            var parser = try MultipartParser(contentType: writer.contentType(type: "application/dicom"), requirePartContentType: true)
            var read: [MultipartPart] = []
            for chunk in chunks { read += try parser.append(chunk) }
            read += try parser.finish()
            XCTAssertEqual(read, parts, "trial \(trial)")
        }
    }

    func testALargeBodyInNetworkSizedChunks() throws {
        var random = SplitMix64(seed: 2387)
        let image = (0..<(3 << 20)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let writer = try MultipartWriter(boundary: "b")   // a one-byte boundary: many false starts
        let encoded = try writer.encode([MultipartPart(contentType: "application/dicom", body: image)])
        var parser = try MultipartParser(contentType: writer.contentType())
        var parts: [MultipartPart] = []
        for start in stride(from: 0, to: encoded.count, by: 65_536) {
            parts += try parser.append(encoded[start..<min(start + 65_536, encoded.count)])
        }
        parts += try parser.finish()
        XCTAssertEqual(parts.count, 1)
        XCTAssertEqual(parts.first?.body, image)
    }
}

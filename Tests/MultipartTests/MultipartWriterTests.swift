import Multipart
import XCTest

final class MultipartWriterTests: XCTestCase {
    func testTheBodyByteForByte() throws {
        let writer = try MultipartWriter(boundary: "B")
        let bytes = try writer.encode([
            MultipartPart(contentType: "application/dicom", body: Array("one".utf8)),
            MultipartPart(contentType: "application/dicom", body: []),
        ])
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self),
                       "--B\r\nContent-Type: application/dicom\r\n\r\none\r\n--B\r\nContent-Type: application/dicom\r\n\r\n\r\n--B--\r\n")
        XCTAssertEqual(writer.contentType(type: "application/dicom"), #"multipart/related; boundary=B; type="application/dicom""#)
        XCTAssertEqual(String(decoding: try writer.encode([]), as: UTF8.self), "--B--\r\n")
    }

    func testRandomBoundariesAreValidAndDistinct() throws {
        let boundaries = (0..<100).map { _ in MultipartWriter().boundary }
        XCTAssertEqual(Set(boundaries).count, 100)
        for boundary in boundaries { XCTAssertNoThrow(try MultipartWriter(boundary: boundary)) }
    }

    func testBodiesHoldingTheDelimiterAndHeaderInjectionAreRefused() throws {
        let writer = try MultipartWriter(boundary: "B")
        for body in ["x\r\n--B", "--B at the start", "a\r\n--Bb"] {
            XCTAssertThrowsError(try writer.encode([MultipartPart(contentType: "text/plain", body: Array(body.utf8))]), body) {
                guard case .unencodable? = $0 as? MultipartError else { return XCTFail("\($0)") }
            }
        }
        XCTAssertNoThrow(try writer.encode([MultipartPart(contentType: "text/plain", body: Array("x\n--B and -B".utf8))]))
        XCTAssertThrowsError(try writer.encode([MultipartPart(contentType: "text/plain\r\nX-Injected: 1", body: [])]))
        XCTAssertThrowsError(try writer.encode([MultipartPart(headers: [HeaderField("Bad Name", "1")], body: [])]))
        XCTAssertThrowsError(try MultipartWriter(boundary: "trailing "))
    }
}

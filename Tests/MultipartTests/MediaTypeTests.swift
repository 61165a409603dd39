import Multipart
import XCTest

final class MediaTypeTests: XCTestCase {
    func testParametersQuotedOrNotAndCaseInsensitiveNames() throws {
        let stow = try MediaType(parsing: #"Multipart/Related; TYPE="application/dicom";  Boundary=abc:12"#)
        XCTAssertEqual(stow.essence, "multipart/related")
        XCTAssertEqual(stow.parameters["type"], "application/dicom")
        XCTAssertEqual(stow.parameters["boundary"], "abc:12")
        let quoted = try MediaType(parsing: #"multipart/related; boundary="a b\"c\\d"; type=application/dicom;"#)
        XCTAssertEqual(quoted.parameters["boundary"], #"a b"c\d"#)
        XCTAssertEqual(quoted.parameters["type"], "application/dicom")
        XCTAssertEqual(try MediaType(parsing: "application/dicom").parameters, [:])
    }

    func testMalformedValuesAreRefusedWithTheReason() {
        for text in ["multipart", "multipart/", "/related", "multipart/related boundary=x", "multipart/related; boundary",
                     #"multipart/related; boundary="unterminated"#, "multipart/related; boundary=a; boundary=b",
                     "multipart/related; =x"] {
            XCTAssertThrowsError(try MediaType(parsing: text), text) { error in
                guard case .malformedContentType(let value, let reason)? = error as? MultipartError else {
                    return XCTFail("\(text): \(error)")
                }
                XCTAssertEqual(value, text)
                XCTAssertFalse(reason.isEmpty)
            }
        }
    }

    func testDescriptionQuotesWhatIsNotAToken() throws {
        let type = MediaType(type: "multipart", subtype: "related", parameters: ["type": "application/dicom", "boundary": "x y"])
        XCTAssertEqual(type.description, #"multipart/related; boundary="x y"; type="application/dicom""#)
        XCTAssertEqual(try MediaType(parsing: type.description), type)
    }
}

@testable import DICOMweb
import Foundation
import Imaging
import XCTest

/// The DICOM JSON model of data elements (PS3.18 F.2), value representation by value representation.
final class DICOMJSONTests: XCTestCase {
    func element(_ tag: UInt32, _ vr: String?, _ bytes: [UInt8]) -> DICOMDataElement {
        DICOMDataElement(group: UInt16(tag >> 16), element: UInt16(tag & 0xFFFF), vr: vr, value: .bytes(bytes))
    }

    func json(_ elements: [DICOMDataElement], littleEndian: Bool = true, latin1: Bool = false) throws -> [String: Any] {
        let dataSet = DICOMJSONDataSet(elements, littleEndian: littleEndian, latin1: latin1)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try DICOMJSON.encode(dataSet))) as? [String: Any])
    }

    func testTextNumbersAndNames() throws {
        let object = try json([
            element(0x0008_0060, "CS", Array("DX".utf8)),
            element(0x0008_0008, "CS", Array("DERIVED\\PRIMARY ".utf8)),
            element(0x0028_0030, "DS", Array(" 0.143\\0.139".utf8)),
            element(0x0020_0013, "IS", Array("+12 ".utf8)),
            element(0x0010_0010, "PN", Array("Yamada^Tarou=山田^太郎=やまだ^たろう".utf8)),
            element(0x0008_0018, "UI", Array("1.2.3".utf8) + [0]),
            element(0x0020_4000, "LT", Array("  indented\\kept  ".utf8)),
            element(0x0010_1010, "AS", []),
            element(0x0008_0005, "CS", Array("A\\\\C".utf8)),
        ])
        XCTAssertEqual(values(object, "00080060") as? [String], ["DX"])
        XCTAssertEqual(values(object, "00080008") as? [String], ["DERIVED", "PRIMARY"])
        XCTAssertEqual(numbers(object, "00280030"), [0.143, 0.139])
        XCTAssertEqual(numbers(object, "00200013"), [12])
        let name = try XCTUnwrap(values(object, "00100010").first as? [String: String])
        XCTAssertEqual(name, ["Alphabetic": "Yamada^Tarou", "Ideographic": "山田^太郎", "Phonetic": "やまだ^たろう"])
        XCTAssertEqual(values(object, "00080018") as? [String], ["1.2.3"], "UI padding removed")
        XCTAssertEqual(values(object, "00204000") as? [String], ["  indented\\kept"], "LT: one value, leading spaces kept")
        XCTAssertEqual(object["00101010"] as? [String: String], ["vr": "AS"], "an empty value has no Value")
        XCTAssertEqual(values(object, "00080005").count, 3)
        XCTAssertTrue(values(object, "00080005")[1] is NSNull, "an empty value among several is null")
    }

    func testLatin1Text() throws {
        let object = try json([element(0x0010_0010, "PN", [0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72])], latin1: true)
        XCTAssertEqual((values(object, "00100010").first as? [String: String])?["Alphabetic"], "Müller")
    }

    func testBinaryNumbersInBothByteOrders() throws {
        let little = try json([
            element(0x0028_0010, "US", [0x30, 0x00]),
            element(0x0028_0106, "SS", [0xFF, 0xFF]),
            element(0x0018_6020, "SL", [0xFE, 0xFF, 0xFF, 0xFF]),
            element(0x0028_0008, "UL", [0x01, 0x00, 0x00, 0x80]),
            element(0x0070_0022, "FL", Array(withUnsafeBytes(of: Float(1.5).bitPattern.littleEndian, Array.init))),
            element(0x0040_A161, "FD", Array(withUnsafeBytes(of: Double(-2.25).bitPattern.littleEndian, Array.init))),
            element(0x0020_5000, "AT", [0x10, 0x00, 0x20, 0x00]),
        ])
        XCTAssertEqual(numbers(little, "00280010"), [48])
        XCTAssertEqual(numbers(little, "00280106"), [-1])
        XCTAssertEqual(numbers(little, "00186020"), [-2])
        XCTAssertEqual(numbers(little, "00280008"), [0x8000_0001])
        XCTAssertEqual(numbers(little, "00700022"), [1.5])
        XCTAssertEqual(numbers(little, "0040A161"), [-2.25])
        XCTAssertEqual(values(little, "00205000") as? [String], ["00100020"])
        let big = try json([element(0x0028_0010, "US", [0x00, 0x30]), element(0x0020_5000, "AT", [0x00, 0x10, 0x00, 0x20])],
                           littleEndian: false)
        XCTAssertEqual(numbers(big, "00280010"), [48])
        XCTAssertEqual(values(big, "00205000") as? [String], ["00100020"])
    }

    func testBinaryValuesAsLittleEndianInlineBinary() throws {
        let little = try json([element(0x0009_1001, "OW", [1, 2, 3, 4]), element(0x0009_1002, nil, [5, 6])])
        XCTAssertEqual(little["00091001"] as? [String: String], ["vr": "OW", "InlineBinary": Data([1, 2, 3, 4]).base64EncodedString()])
        XCTAssertEqual(little["00091002"] as? [String: String], ["vr": "UN", "InlineBinary": Data([5, 6]).base64EncodedString()],
                       "an unknown VR is UN")
        let big = try json([element(0x0009_1001, "OW", [1, 2, 3, 4])], littleEndian: false)
        XCTAssertEqual((big["00091001"] as? [String: String])?["InlineBinary"], Data([2, 1, 4, 3]).base64EncodedString())
    }

    func testSequencesAndWhatIsLeftOut() throws {
        let item = [element(0x0008_0100, "SH", Array("126000".utf8))]
        let object = try json([
            DICOMDataElement(group: 0x0040, element: 0xA043, vr: "SQ", value: .items([item, []])),
            DICOMDataElement(group: 0x7FE0, element: 0x0010, vr: "OW", value: .bytes([0, 0])),
            DICOMDataElement(group: 0x0009, element: 0x1003, vr: "OB", value: .omitted(length: 1 << 20)),
            DICOMDataElement(group: 0x0008, element: 0x0000, vr: "UL", value: .bytes([4, 0, 0, 0])),
        ])
        let items = values(object, "0040A043").compactMap { $0 as? [String: Any] }
        XCTAssertEqual(items.count, 2)
        XCTAssertEqual(values(items[0], "00080100") as? [String], ["126000"])
        XCTAssertEqual(items[1].count, 0)
        XCTAssertEqual(Set(object.keys), ["0040A043"], "pixel data, omitted values and group lengths are left out")
    }

    func testKeysAreInTagOrder() throws {
        let dataSet = DICOMJSONDataSet([element(0x0028_0010, "US", [1, 0]), element(0x0008_0060, "CS", Array("DX".utf8)),
                                        element(0x7FE0_0008, "OF", [0, 0, 0, 0]), element(0x0010_0020, "LO", Array("7".utf8))],
                                       littleEndian: true, latin1: false)
        let text = String(decoding: try DICOMJSON.encode(dataSet), as: UTF8.self)
        let positions = ["00080060", "00100020", "00280010"].map { text.range(of: $0)!.lowerBound }
        XCTAssertEqual(positions, positions.sorted())
    }
}

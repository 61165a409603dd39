import Foundation
import XCTest
@testable import Imaging

/// `DICOMFile.dataElements`: every element with its nested items, explicit and implicit VR.
final class DICOMElementsTests: XCTestCase {
    /// Little-endian bytes of a 16- or 32-bit value.
    func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
    func le32(_ value: Int) -> [UInt8] { le16(value & 0xFFFF) + le16(value >> 16 & 0xFFFF) }

    func explicit(_ group: Int, _ element: Int, _ vr: String, _ value: [UInt8]) -> [UInt8] {
        le16(group) + le16(element) + Array(vr.utf8) + le16(value.count) + value
    }

    func tag(_ group: Int, _ element: Int) -> [UInt8] { le16(group) + le16(element) }

    /// A Part 10 file: preamble, "DICM", the transfer syntax as the only meta element, `dataSet`.
    func file(syntax: String, _ dataSet: [UInt8]) -> Data {
        var uid = Array(syntax.utf8)
        if uid.count % 2 == 1 { uid.append(0) }
        return Data([UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + explicit(0x0002, 0x0010, "UI", uid) + dataSet)
    }

    func testExplicitVRSequencesOfBothLengthsAndOmittedValues() throws {
        let undefinedItem = tag(0xFFFE, 0xE000) + le32(0xFFFF_FFFF) + explicit(0x0040, 0xA010, "CS", Array("CONTAINS".utf8))
            + tag(0xFFFE, 0xE00D) + le32(0)
        let definedContent = explicit(0x0008, 0x0100, "SH", Array("126000".utf8))
        let definedItem = tag(0xFFFE, 0xE000) + le32(definedContent.count) + definedContent
        let sequence = tag(0x0040, 0xA730) + Array("SQ".utf8) + [0, 0] + le32(0xFFFF_FFFF) + undefinedItem + definedItem
            + tag(0xFFFE, 0xE0DD) + le32(0)
        let pixels = tag(0x7FE0, 0x0010) + Array("OB".utf8) + [0, 0] + le32(2048) + [UInt8](repeating: 7, count: 2048)
        let data = file(syntax: "1.2.840.10008.1.2.1", explicit(0x0008, 0x0060, "CS", Array("DX".utf8)) + sequence
            + explicit(0x0010, 0x0010, "PN", Array("Doe^J ".utf8)) + pixels)
        let read = try DICOMFile.dataElements(data, name: "explicit.dcm", inlineLimit: 1024)
        XCTAssertTrue(read.littleEndian)
        XCTAssertEqual(read.elements.map { "\($0.group):\($0.element)" }, ["8:96", "64:42800", "16:16", "32736:16"])
        XCTAssertEqual(read.elements[0], DICOMDataElement(group: 0x0008, element: 0x0060, vr: "CS", value: .bytes(Array("DX".utf8))))
        XCTAssertEqual(read.elements[1].value, .items([
            [DICOMDataElement(group: 0x0040, element: 0xA010, vr: "CS", value: .bytes(Array("CONTAINS".utf8)))],
            [DICOMDataElement(group: 0x0008, element: 0x0100, vr: "SH", value: .bytes(Array("126000".utf8)))],
        ]))
        XCTAssertEqual(read.elements[3].value, .omitted(length: 2048))
        XCTAssertFalse(read.usesLatin1)
    }

    func testImplicitVRTakesVRsFromTheLookupAndReadsItsSequences() throws {
        let content = tag(0x0008, 0x0100) + le32(6) + Array("126000".utf8)
        let item = tag(0xFFFE, 0xE000) + le32(content.count) + content
        let dataSet = tag(0x0008, 0x0005) + le32(10) + Array("ISO_IR 100".utf8)
            + tag(0x0040, 0xA043) + le32(item.count) + item
            + tag(0x0009, 0x1001) + le32(2) + [1, 2]
        let lookup: (UInt16, UInt16) -> String? = { group, element in
            switch (group, element) {
            case (0x0008, 0x0005): return "CS"
            case (0x0040, 0xA043): return "SQ"
            case (0x0008, 0x0100): return "SH"
            default: return nil
            }
        }
        let read = try DICOMFile.dataElements(file(syntax: "1.2.840.10008.1.2", dataSet), name: "implicit.dcm", implicitVR: lookup)
        XCTAssertEqual(read.elements.count, 3)
        XCTAssertEqual(read.elements[1].value, .items([[DICOMDataElement(group: 0x0008, element: 0x0100, vr: "SH",
                                                                         value: .bytes(Array("126000".utf8)))]]))
        XCTAssertEqual(read.elements[2], DICOMDataElement(group: 0x0009, element: 0x1001, vr: nil, value: .bytes([1, 2])))
        XCTAssertTrue(read.usesLatin1)
    }

    func testFixturesReadWhole() throws {
        let read = try DICOMFile.dataElements(try Fixture.data("jpeg-baseline8.dcm"), name: "jpeg-baseline8.dcm")
        let pixels = read.elements.first { $0.group == 0x7FE0 && $0.element == 0x0010 }
        guard case .encapsulated(let fragments)? = pixels?.value else { return XCTFail("pixel data \(String(describing: pixels))") }
        XCTAssertGreaterThanOrEqual(fragments, 1)
        let big = try DICOMFile.dataElements(try Fixture.data("explicit-be16.dcm"), name: "explicit-be16.dcm")
        XCTAssertFalse(big.littleEndian)
        XCTAssertEqual(big.elements.first { $0.group == 0x0028 && $0.element == 0x0010 }?.value, .bytes([0x00, 0x30]), "Rows 48, big endian")
    }

    /// The attributes an archive files and searches by, Latin-1 text decoded as such.
    func testMetadataNamesWhatAnArchiveFilesBy() throws {
        func text(_ group: Int, _ element: Int, _ vr: String, _ value: String, latin1: Bool = false) -> [UInt8] {
            var bytes = latin1 ? value.unicodeScalars.map { UInt8($0.value) } : Array(value.utf8)
            if bytes.count % 2 == 1 { bytes.append(vr == "UI" ? 0 : 0x20) }
            return explicit(group, element, vr, bytes)
        }
        let dataSet = text(0x0008, 0x0005, "CS", "ISO_IR 100") + text(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.1.1")
            + text(0x0008, 0x0020, "DA", "20200115") + text(0x0008, 0x0030, "TM", "093000.5")
            + text(0x0008, 0x0050, "SH", "ACC-77") + text(0x0008, 0x0090, "PN", "Welby^Marcus")
            + text(0x0008, 0x1030, "LO", "Chest PA") + text(0x0008, 0x103E, "LO", "Frontal")
            + text(0x0010, 0x0010, "PN", "Müller^Jürgen", latin1: true) + text(0x0010, 0x0030, "DA", "19610203")
            + text(0x0020, 0x0010, "SH", "S-9") + text(0x0020, 0x0011, "IS", " 3") + text(0x0020, 0x0013, "IS", "12")
            + explicit(0x0028, 0x0010, "US", le16(1)) + explicit(0x0028, 0x0011, "US", le16(1))
            + explicit(0x0028, 0x0100, "US", le16(8)) + tag(0x7FE0, 0x0010) + Array("OB".utf8) + [0, 0] + le32(2) + [9, 0]
        let metadata = try DICOMFile(file(syntax: "1.2.840.10008.1.2.1", dataSet), name: "archive.dcm").metadata
        XCTAssertEqual(metadata.specificCharacterSet, "ISO_IR 100")
        XCTAssertEqual(metadata.sopClassUID, "1.2.840.10008.5.1.4.1.1.1.1")
        XCTAssertEqual(metadata.patientName, "Müller^Jürgen")
        XCTAssertEqual(metadata.patientBirthDate, "19610203")
        XCTAssertEqual([metadata.studyDate, metadata.studyTime], ["20200115", "093000.5"])
        XCTAssertEqual(metadata.accessionNumber, "ACC-77")
        XCTAssertEqual(metadata.referringPhysicianName, "Welby^Marcus")
        XCTAssertEqual([metadata.studyDescription, metadata.seriesDescription], ["Chest PA", "Frontal"])
        XCTAssertEqual(metadata.studyID, "S-9")
        XCTAssertEqual([metadata.seriesNumber, metadata.instanceNumber], [3, 12])
        let plain = try DICOMFile(contentsOf: Fixture.url("base16.dcm")).metadata
        XCTAssertNil(plain.patientName)
        XCTAssertNil(plain.specificCharacterSet)
        XCTAssertEqual(plain.sopClassUID, "1.2.840.10008.5.1.4.1.1.7")
    }

    func testTruncatedSequencesAreErrors() {
        let sequence = tag(0x0040, 0xA730) + Array("SQ".utf8) + [0, 0] + le32(0xFFFF_FFFF) + tag(0xFFFE, 0xE000) + le32(0xFFFF_FFFF)
            + explicit(0x0040, 0xA010, "CS", Array("CONTAINS".utf8))
        XCTAssertImagingError(try DICOMFile.dataElements(file(syntax: "1.2.840.10008.1.2.1", sequence), name: "cut.dcm"),
                              contains: ["cut.dcm", "truncated"])
    }
}

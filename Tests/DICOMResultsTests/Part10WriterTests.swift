@testable import DICOMResults
import Foundation
@testable import Imaging
import XCTest

final class Part10WriterTests: XCTestCase {
    func element(_ tag: ElementTag, _ vr: ValueRepresentation, _ text: String) -> DataElement {
        DataElement(tag, vr, .strings([text]))
    }

    /// Each VR's padding byte and the 16- or 32-bit length, byte for byte (PS3.5 6.2, 7.1.2).
    func testOddValuesArePaddedWithTheirVRsByte() throws {
        var dataSet = DataSet()
        dataSet.set(ElementTag(0x0008, 0x0018), .uniqueIdentifier, "1.2.3")
        dataSet.set(ElementTag(0x0008, 0x0050), .shortString, "ABC")
        dataSet.set(DataElement(ElementTag(0x0009, 0x0010), .otherByte, .bytes([1, 2, 3])))
        dataSet.set(ElementTag(0x0040, 0xA160), .unlimitedText, "x")
        let bytes = try Part10Writer().encodeDataSet(dataSet)
        XCTAssertEqual(bytes, [
            0x08, 0x00, 0x18, 0x00, 0x55, 0x49, 0x06, 0x00, 0x31, 0x2E, 0x32, 0x2E, 0x33, 0x00,   // UI, NUL pad
            0x08, 0x00, 0x50, 0x00, 0x53, 0x48, 0x04, 0x00, 0x41, 0x42, 0x43, 0x20,               // SH, space pad
            0x09, 0x00, 0x10, 0x00, 0x4F, 0x42, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 1, 2, 3, 0,   // OB, 32-bit length
            0x40, 0x00, 0x60, 0xA1, 0x55, 0x54, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x78, 0x20,   // UT, 32-bit length
        ])
    }

    func testElementsAreWrittenInTagOrder() throws {
        var dataSet = DataSet()
        dataSet.set(ElementTag(0x0020, 0x000D), .uniqueIdentifier, "1.2")
        dataSet.set(ElementTag(0x0008, 0x0060), .codeString, "SR")
        dataSet.set(ElementTag(0x0008, 0x0016), .uniqueIdentifier, "1.2")
        XCTAssertEqual(dataSet.sortedElements.map(\.tag), [ElementTag(0x0008, 0x0016), ElementTag(0x0008, 0x0060), ElementTag(0x0020, 0x000D)])
    }

    func minimalDataSet() -> DataSet {
        var dataSet = DataSet()
        dataSet.set(ElementTag(0x0008, 0x0016), .uniqueIdentifier, "1.2.840.10008.5.1.4.1.1.7")
        dataSet.set(ElementTag(0x0008, 0x0018), .uniqueIdentifier, "2.25.12345")
        dataSet.set(ElementTag(0x0010, 0x0010), .personName, "Doe^Jane")
        return dataSet
    }

    /// Preamble, "DICM", and a group length equal to the bytes of the meta elements after it.
    func testFileMetaInformationHasItsGroupLength() throws {
        let bytes = [UInt8](try Part10Writer().encode(minimalDataSet()))
        XCTAssertEqual(Array(bytes[0..<128]), [UInt8](repeating: 0, count: 128))
        XCTAssertEqual(String(decoding: bytes[128..<132], as: UTF8.self), "DICM")
        XCTAssertEqual(Array(bytes[132..<140]), [0x02, 0x00, 0x00, 0x00, 0x55, 0x4C, 0x04, 0x00])   // (0002,0000) UL 4
        let groupLength = Int(bytes[140]) | Int(bytes[141]) << 8 | Int(bytes[142]) << 16 | Int(bytes[143]) << 24
        let metaEnd = 144 + groupLength
        XCTAssertEqual(Array(bytes[metaEnd..<(metaEnd + 2)]), [0x08, 0x00], "the data set starts right after the meta group")

        let file = try DICOMFileMeta(bytes)
        XCTAssertEqual(file.text(0x0002, 0x0002), "1.2.840.10008.5.1.4.1.1.7")
        XCTAssertEqual(file.text(0x0002, 0x0003), "2.25.12345")
        XCTAssertEqual(file.text(0x0002, 0x0010), Part10Writer.explicitVRLittleEndian)
        XCTAssertEqual(file.text(0x0002, 0x0012), Part10Writer.implementationClassUID)
        XCTAssertEqual(file.text(0x0010, 0x0010), "Doe^Jane")
    }

    /// Nested sequences with defined and with undefined lengths both parse back (Imaging's
    /// parser walks either) to the same top-level values; only the undefined form has
    /// delimitation items.
    func testSequencesWithDefinedAndUndefinedLength() throws {
        var inner = DataSet()
        inner.set(ElementTag(0x0008, 0x0100), .shortString, "121071")
        var item = DataSet()
        item.set(ElementTag(0x0040, 0xA043), items: [inner, inner])
        item.set(ElementTag(0x0040, 0xA160), .unlimitedText, "odd")
        var dataSet = minimalDataSet()
        dataSet.set(ElementTag(0x0040, 0xA730), items: [item, DataSet()])
        dataSet.set(ElementTag(0x0040, 0xA731), items: [])
        dataSet.set(ElementTag(0x0040, 0xA732), .longString, "after")

        let defined = [UInt8](try Part10Writer(sequenceLength: .defined).encode(dataSet))
        let undefined = [UInt8](try Part10Writer(sequenceLength: .undefined).encode(dataSet))
        XCTAssertFalse(contains(defined, [0xFE, 0xFF, 0xDD, 0xE0]), "no sequence delimiter with defined lengths")
        XCTAssertTrue(contains(undefined, [0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]))
        XCTAssertTrue(contains(undefined, [0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]))
        XCTAssertGreaterThan(undefined.count, defined.count)
        for bytes in [defined, undefined] {
            let file = try DICOMFileMeta(bytes)
            XCTAssertEqual(file.text(0x0040, 0xA732), "after", "the element after the sequences is found")
            XCTAssertEqual(file.text(0x0010, 0x0010), "Doe^Jane")
        }
        // The defined-length sequence's value starts with its first item.
        let file = try DICOMFileMeta(defined)
        let sequence = try XCTUnwrap(file.elements[DICOMTag(0x0040, 0xA730)])
        let itemHeader = sequence.value.lowerBound
        XCTAssertEqual(Array(defined[itemHeader..<(itemHeader + 4)]), [0xFE, 0xFF, 0x00, 0xE0])
    }

    func testValuesThatDoNotFitTheirVRAreRefusedNamingTheElement() {
        func refusal(_ element: DataElement, nested: Bool = false) -> DICOMWriteError? {
            var dataSet = minimalDataSet()
            if nested {
                var item = DataSet()
                item.set(element)
                dataSet.set(ElementTag(0x0040, 0xA730), items: [DataSet(), item])
            } else {
                dataSet.set(element)
            }
            do {
                _ = try Part10Writer().encode(dataSet)
                return nil
            } catch let error as DICOMWriteError {
                return error
            } catch {
                XCTFail("unexpected \(error)")
                return nil
            }
        }
        XCTAssertEqual(refusal(element(ElementTag(0x0008, 0x0060), .codeString, "sr"))?.element, "(0008,0060)")
        XCTAssertNotNil(refusal(element(ElementTag(0x0008, 0x0060), .codeString, "SEVENTEEN_CHARS__")))
        XCTAssertNotNil(refusal(element(ElementTag(0x0010, 0x0020), .longString, String(repeating: "x", count: 65))))
        XCTAssertNotNil(refusal(element(ElementTag(0x0010, 0x0020), .longString, "a\\b")))
        XCTAssertNotNil(refusal(element(ElementTag(0x0010, 0x0020), .longString, "line\nbreak")))
        XCTAssertNotNil(refusal(element(ElementTag(0x0010, 0x0030), .date, "2020-01-01")))
        XCTAssertNotNil(refusal(element(ElementTag(0x0008, 0x0018), .uniqueIdentifier, "1.02")))
        let nested = refusal(element(ElementTag(0x0040, 0xA160), .shortText, String(repeating: "x", count: 1025)), nested: true)
        XCTAssertEqual(nested?.element, "(0040,A730)[2] > (0040,A160)")
        let wrongKind = refusal(DataElement(ElementTag(0x0028, 0x0010), .unsignedShort, .strings(["12"])))
        XCTAssertEqual(wrongKind?.element, "(0028,0010)")
        let tooLong = refusal(DataElement(ElementTag(0x0028, 0x0010), .unsignedShort,
                                          .unsignedShorts([UInt16](repeating: 1, count: 40_000))))
        XCTAssertTrue(tooLong?.reason.contains("16-bit length") ?? false, "\(String(describing: tooLong))")
        XCTAssertNotNil(refusal(element(ElementTag(0x0002, 0x0013), .shortString, "MINE")), "file meta comes from the writer")
        var noInstance = DataSet()
        noInstance.set(ElementTag(0x0008, 0x0016), .uniqueIdentifier, "1.2")
        XCTAssertThrowsError(try Part10Writer().encode(noInstance)) { error in
            XCTAssertEqual((error as? DICOMWriteError)?.element, "(0008,0018)")
        }
        // Multi-line text is allowed where the VR allows it.
        XCTAssertNil(refusal(element(ElementTag(0x0020, 0x4000), .longText, "one\r\ntwo")))
    }

    func contains(_ bytes: [UInt8], _ pattern: [UInt8]) -> Bool {
        guard bytes.count >= pattern.count else { return false }
        return (0...(bytes.count - pattern.count)).contains { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
    }
}

/// The top-level elements of a Part 10 file as Imaging's parser reads them (the file meta
/// group, then the explicit VR little endian data set), without DICOMFile's image checks.
struct DICOMFileMeta {
    let parser: DICOMParser
    let elements: [DICOMTag: DICOMElement]

    init(_ bytes: [UInt8]) throws {
        parser = DICOMParser(bytes: bytes, name: "written")
        var elements: [DICOMTag: DICOMElement] = [:]
        let (metaEnd, _) = try parser.parse(from: 132, to: bytes.count, store: true, into: &elements, onlyGroup: 0x0002)
        try parser.parse(from: metaEnd, to: bytes.count, store: true, into: &elements)
        self.elements = elements
    }

    func text(_ group: UInt16, _ element: UInt16) -> String? {
        elements[DICOMTag(group, element)].map { DICOMFile.string(parser.bytes, $0.value) }
    }
}

import Foundation

/// Writes DICOM Part 10 files (PS3.10 7.1) in Explicit VR Little Endian (PS3.5 7.1.2): the
/// 128-byte preamble, "DICM", the file meta information with its group length, then the
/// data set. Every value is padded to even length with its VR's padding byte, and every text
/// value is checked against its VR before anything is written.
///
/// Hand-written: Debian's DICOM toolkits (dcmtk, GDCM) are C++ libraries with no C API to
/// bind, and the writing half of PS3.5 is small.
public struct Part10Writer: Sendable {
    /// How sequences and their items give their length (PS3.5 7.5): as a byte count, or
    /// undefined and closed by delimitation items. Readers must accept both.
    public enum SequenceLength: Sendable {
        case defined
        case undefined
    }

    public var sequenceLength: SequenceLength

    public init(sequenceLength: SequenceLength = .defined) {
        self.sequenceLength = sequenceLength
    }

    public static let explicitVRLittleEndian = "1.2.840.10008.1.2.1"
    /// Identifies this writer in (0002,0012); a 2.25 UUID root (PS3.5 B.2), fixed once.
    public static let implementationClassUID = "2.25.173560287831331104970981912180128266277"
    public static let implementationVersionName = "THORAX"

    static let sopClassUID = ElementTag(0x0008, 0x0016)
    static let sopInstanceUID = ElementTag(0x0008, 0x0018)

    /// The whole file for `dataSet`, whose SOP Class UID (0008,0016) and SOP Instance UID
    /// (0008,0018) also go into the file meta information. Throws `DICOMWriteError` when
    /// either is missing, when the data set holds file meta (group 0002) elements, or when a
    /// value does not fit its VR.
    public func encode(_ dataSet: DataSet) throws -> Data {
        func uid(_ tag: ElementTag, _ name: String) throws -> String {
            guard case .strings(let values)? = dataSet[tag]?.value, let value = values.first, !value.isEmpty else {
                throw DICOMWriteError(element: tag.description, reason: "the data set has no \(name), which the file meta information repeats")
            }
            return value
        }
        if let meta = dataSet.elements.keys.first(where: { $0.group == 0x0002 }) {
            throw DICOMWriteError(element: meta.description, reason: "file meta elements are written by the writer, not taken from the data set")
        }
        var meta = DataSet()
        meta.set(DataElement(ElementTag(0x0002, 0x0001), .otherByte, .bytes([0x00, 0x01])))
        meta.set(ElementTag(0x0002, 0x0002), .uniqueIdentifier, try uid(Part10Writer.sopClassUID, "SOP Class UID"))
        meta.set(ElementTag(0x0002, 0x0003), .uniqueIdentifier, try uid(Part10Writer.sopInstanceUID, "SOP Instance UID"))
        meta.set(ElementTag(0x0002, 0x0010), .uniqueIdentifier, Part10Writer.explicitVRLittleEndian)
        meta.set(ElementTag(0x0002, 0x0012), .uniqueIdentifier, Part10Writer.implementationClassUID)
        meta.set(ElementTag(0x0002, 0x0013), .shortString, Part10Writer.implementationVersionName)
        var metaBytes: [UInt8] = []
        try write(meta, into: &metaBytes, path: "")

        var bytes = [UInt8](repeating: 0, count: 128)
        bytes += Array("DICM".utf8)
        try write(DataElement(ElementTag(0x0002, 0x0000), .unsignedLong, .unsignedLongs([UInt32(metaBytes.count)])),
                  into: &bytes, path: "")
        bytes += metaBytes
        try write(dataSet, into: &bytes, path: "")
        return Data(bytes)
    }

    /// The data set alone, without preamble or file meta information (as inside a sequence
    /// item or after the meta group).
    public func encodeDataSet(_ dataSet: DataSet) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try write(dataSet, into: &bytes, path: "")
        return bytes
    }

    func write(_ dataSet: DataSet, into bytes: inout [UInt8], path: String) throws {
        for element in dataSet.sortedElements {
            try write(element, into: &bytes, path: path)
        }
    }

    func write(_ element: DataElement, into bytes: inout [UInt8], path: String) throws {
        let here = path.isEmpty ? element.tag.description : path + " > " + element.tag.description
        let vr = element.representation
        append(element.tag, to: &bytes)
        bytes += Array(vr.rawValue.utf8)
        if case .items(let items) = element.value {
            guard vr == .sequence else {
                throw DICOMWriteError(element: here, reason: "sequence items given for VR \(vr.rawValue)")
            }
            try writeSequence(items, into: &bytes, path: here)
            return
        }
        var value = try encodeValue(element.value, vr: vr, path: here)
        if value.count % 2 == 1 { value.append(vr.paddingByte) }
        if vr.hasLongLength {
            bytes += [0, 0]
            guard value.count < 0xFFFF_FFFF else {
                throw DICOMWriteError(element: here, reason: "value of \(value.count) bytes exceeds the 32-bit length")
            }
            append(UInt32(value.count), to: &bytes)
        } else {
            guard value.count <= 0xFFFF else {
                throw DICOMWriteError(element: here, reason: "\(vr.rawValue) value of \(value.count) bytes exceeds the 16-bit length")
            }
            append(UInt16(value.count), to: &bytes)
        }
        bytes += value
    }

    /// A sequence: its header's length, then each item (PS3.5 7.5.1, 7.5.2).
    func writeSequence(_ items: [DataSet], into bytes: inout [UInt8], path: String) throws {
        bytes += [0, 0]
        var body: [UInt8] = []
        for (index, item) in items.enumerated() {
            var content: [UInt8] = []
            try write(item, into: &content, path: "\(path)[\(index + 1)]")
            append(ElementTag.item, to: &body)
            switch sequenceLength {
            case .defined:
                append(try length(content.count, path: path), to: &body)
                body += content
            case .undefined:
                append(UInt32(0xFFFF_FFFF), to: &body)
                body += content
                append(ElementTag.itemDelimitation, to: &body)
                append(UInt32(0), to: &body)
            }
        }
        switch sequenceLength {
        case .defined:
            append(try length(body.count, path: path), to: &bytes)
            bytes += body
        case .undefined:
            append(UInt32(0xFFFF_FFFF), to: &bytes)
            bytes += body
            append(ElementTag.sequenceDelimitation, to: &bytes)
            append(UInt32(0), to: &bytes)
        }
    }

    func length(_ count: Int, path: String) throws -> UInt32 {
        guard count < 0xFFFF_FFFF else {
            throw DICOMWriteError(element: path, reason: "sequence of \(count) bytes exceeds the 32-bit length")
        }
        return UInt32(count)
    }

    /// The value's bytes before padding.
    func encodeValue(_ value: ElementValue, vr: ValueRepresentation, path: String) throws -> [UInt8] {
        func expect(_ allowed: [ValueRepresentation], _ kind: String) throws {
            guard allowed.contains(vr) else {
                throw DICOMWriteError(element: path, reason: "\(kind) values given for VR \(vr.rawValue)")
            }
        }
        var bytes: [UInt8] = []
        switch value {
        case .strings(let values):
            guard vr.isText else { throw DICOMWriteError(element: path, reason: "text values given for VR \(vr.rawValue)") }
            for text in values {
                if let problem = vr.problem(with: text) { throw DICOMWriteError(element: path, reason: problem) }
            }
            if values.count > 1, [.shortText, .longText, .unlimitedText, .universalResourceIdentifier].contains(vr) {
                throw DICOMWriteError(element: path, reason: "VR \(vr.rawValue) holds one value, \(values.count) given")
            }
            bytes = Array(values.joined(separator: "\\").utf8)
        case .unsignedShorts(let values):
            try expect([.unsignedShort, .otherWord], "unsigned short")
            for v in values { append(v, to: &bytes) }
        case .signedShorts(let values):
            try expect([.signedShort], "signed short")
            for v in values { append(UInt16(bitPattern: v), to: &bytes) }
        case .unsignedLongs(let values):
            try expect([.unsignedLong], "unsigned long")
            for v in values { append(v, to: &bytes) }
        case .floats(let values):
            try expect([.floatingPointSingle], "single-precision")
            for v in values { append(v.bitPattern, to: &bytes) }
        case .doubles(let values):
            try expect([.floatingPointDouble], "double-precision")
            for v in values { append(v.bitPattern, to: &bytes) }
        case .bytes(let values):
            try expect([.otherByte, .otherWord, .unknown], "byte")
            if vr == .otherWord && values.count % 2 == 1 {
                throw DICOMWriteError(element: path, reason: "OW value of \(values.count) bytes, an odd count")
            }
            bytes = values
        case .items:
            throw DICOMWriteError(element: path, reason: "sequence items given for VR \(vr.rawValue)")
        }
        return bytes
    }

    func append(_ tag: ElementTag, to bytes: inout [UInt8]) {
        append(tag.group, to: &bytes)
        append(tag.element, to: &bytes)
    }

    func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}

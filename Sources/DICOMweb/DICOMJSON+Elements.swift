import Foundation
import Imaging

extension DICOMJSONDataSet {
    /// The DICOM JSON of a file's data set (PS3.18 F.2): text split into values (DS and IS as
    /// numbers, PN as component groups), binary numbers decoded in the file's byte order,
    /// other binary values as little-endian InlineBinary, sequences as nested data sets. Left
    /// out: group lengths (gggg,0000), which the model excludes; pixel data, values the reader
    /// omitted for their size and encapsulated fragments, which are bulk data (retrieve the
    /// instance for them).
    init(_ elements: DICOMDataElements) {
        self.init(elements.elements, littleEndian: elements.littleEndian, latin1: elements.usesLatin1)
    }

    init(_ elements: [DICOMDataElement], littleEndian: Bool, latin1: Bool) {
        for element in elements where element.element != 0x0000 {
            let tag = UInt32(element.group) << 16 | UInt32(element.element)
            if Self.pixelDataTags.contains(tag) { continue }
            let vr = element.vr ?? "UN"
            switch element.value {
            case .omitted, .encapsulated:
                continue
            case .items(let items):
                set(tag, items: items.map { DICOMJSONDataSet($0, littleEndian: littleEndian, latin1: latin1) })
            case .bytes(let bytes):
                self[tag] = DICOMJSONAttribute(vr: vr, bytes: bytes, littleEndian: littleEndian, latin1: latin1)
            }
        }
    }

    /// Pixel Data and its float and double forms.
    static let pixelDataTags: Set<UInt32> = [0x7FE0_0010, 0x7FE0_0008, 0x7FE0_0009]
}

extension DICOMJSONAttribute {
    static let textVRs: Set<String> = ["AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC",
                                       "UI", "UR", "UT"]
    /// Text VRs holding one value, whose backslashes are text and whose leading spaces count.
    static let singleValuedTextVRs: Set<String> = ["LT", "ST", "UT", "UR"]
    /// Numeric binary VRs and their value size.
    static let numberSizes: [String: Int] = ["US": 2, "SS": 2, "UL": 4, "SL": 4, "FL": 4, "FD": 8, "SV": 8, "UV": 8, "AT": 4]
    /// Binary VRs sent as InlineBinary and the size of the words a big-endian file swaps.
    static let wordSizes: [String: Int] = ["OB": 1, "UN": 1, "OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8]

    /// One element's value bytes in the model's form for `vr`.
    init(vr: String, bytes: [UInt8], littleEndian: Bool, latin1: Bool) {
        self.init(vr: vr)
        if bytes.isEmpty { return }
        if Self.textVRs.contains(vr) {
            values = Self.textValues(vr: vr, bytes: bytes, latin1: latin1)
        } else if let size = Self.numberSizes[vr] {
            values = stride(from: 0, to: bytes.count - size + 1, by: size).map { offset in
                Self.number(vr: vr, bytes: bytes[offset..<(offset + size)], littleEndian: littleEndian)
            }
        } else {
            let word = Self.wordSizes[vr] ?? 1
            var swapped = bytes
            if !littleEndian && word > 1 {
                for start in stride(from: 0, to: swapped.count - word + 1, by: word) { swapped[start..<(start + word)].reverse() }
            }
            if Self.wordSizes[vr] == nil { self.vr = "UN" }
            inlineBinary = Data(swapped).base64EncodedString()
        }
    }

    static func textValues(vr: String, bytes: [UInt8], latin1: Bool) -> [DICOMJSONValue]? {
        let text = latin1 ? String(bytes.map { Character(Unicode.Scalar($0)) }) : String(decoding: bytes, as: UTF8.self)
        let padding = CharacterSet(charactersIn: " \0")
        if singleValuedTextVRs.contains(vr) {
            let value = String(text.reversed().drop { $0 == " " || $0 == "\0" }.reversed())
            return value.isEmpty ? nil : [.string(value)]
        }
        let parts = text.split(separator: "\\", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: padding) }
        if parts.allSatisfy(\.isEmpty) { return nil }
        return parts.map { part in
            if part.isEmpty { return .null }
            switch vr {
            case "DS": return Double(part).map(DICOMJSONValue.number) ?? .null
            case "IS": return Int64(part.hasPrefix("+") ? String(part.dropFirst()) : part).map(DICOMJSONValue.integer) ?? .null
            case "PN": return .personName(PersonName(part))
            default: return .string(part)
            }
        }
    }

    static func number(vr: String, bytes: ArraySlice<UInt8>, littleEndian: Bool) -> DICOMJSONValue {
        func unsigned(_ slice: ArraySlice<UInt8>) -> UInt64 {
            let ordered = littleEndian ? Array(slice.reversed()) : Array(slice)
            return ordered.reduce(0) { $0 << 8 | UInt64($1) }
        }
        switch vr {
        case "US": return .integer(Int64(unsigned(bytes)))
        case "UL": return .integer(Int64(unsigned(bytes)))
        case "SS": return .integer(Int64(Int16(truncatingIfNeeded: unsigned(bytes))))
        case "SL": return .integer(Int64(Int32(truncatingIfNeeded: unsigned(bytes))))
        case "SV": return .integer(Int64(bitPattern: unsigned(bytes)))
        case "UV": return .unsigned(unsigned(bytes))
        case "FL": return .number(Double(Float(bitPattern: UInt32(unsigned(bytes)))))
        case "FD": return .number(Double(bitPattern: unsigned(bytes)))
        default:   // AT: group then element, each in the file's byte order
            let start = bytes.startIndex
            let group = unsigned(bytes[start..<(start + 2)]), element = unsigned(bytes[(start + 2)..<(start + 4)])
            return .string(DataDictionary.key(UInt32(group) << 16 | UInt32(element)))
        }
    }
}

import Foundation

/// A data set in the DICOM JSON model (PS3.18 F.2): attributes keyed by "GGGGEEEE", each with
/// its VR and its values, or its bytes as InlineBinary. Encoded with sorted keys, which puts
/// the attributes in tag order.
struct DICOMJSONDataSet: Encodable, Sendable, Equatable {
    var attributes: [UInt32: DICOMJSONAttribute] = [:]

    subscript(tag: UInt32) -> DICOMJSONAttribute? {
        get { attributes[tag] }
        set { attributes[tag] = newValue }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TagKey.self)
        for (tag, attribute) in attributes {
            try container.encode(attribute, forKey: TagKey(stringValue: DataDictionary.key(tag)))
        }
    }

    struct TagKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Text values (nil or empty: an attribute without a value, as a type 2 attribute is sent).
    mutating func set(_ tag: UInt32, _ vr: String, _ values: [String]) {
        attributes[tag] = DICOMJSONAttribute(vr: vr, values: values.isEmpty ? nil : values.map(DICOMJSONValue.string))
    }

    mutating func set(_ tag: UInt32, _ vr: String, _ value: String?) {
        set(tag, vr, value.map { [$0] } ?? [])
    }

    /// A person name, its component groups split at "=" (PS3.18 F.2.2).
    mutating func setPersonName(_ tag: UInt32, _ value: String?) {
        attributes[tag] = DICOMJSONAttribute(vr: "PN", values: value.map { [.personName(PersonName($0))] })
    }

    /// Integer values (IS, US, UL, SS, SL).
    mutating func set(_ tag: UInt32, _ vr: String, integer value: Int?) {
        attributes[tag] = DICOMJSONAttribute(vr: vr, values: value.map { [.integer(Int64($0))] })
    }

    mutating func set(_ tag: UInt32, items: [DICOMJSONDataSet]) {
        attributes[tag] = DICOMJSONAttribute(vr: "SQ", values: items.isEmpty ? nil : items.map(DICOMJSONValue.item))
    }
}

/// One attribute: `vr`, then `Value` (an array), `InlineBinary` (base64) or `BulkDataURI`
/// (where the value is retrieved), or none of them when empty.
struct DICOMJSONAttribute: Encodable, Sendable, Equatable {
    var vr: String
    var values: [DICOMJSONValue]?
    var inlineBinary: String?
    var bulkDataURI: String?

    init(vr: String, values: [DICOMJSONValue]? = nil, inlineBinary: String? = nil, bulkDataURI: String? = nil) {
        self.vr = vr
        self.values = values
        self.inlineBinary = inlineBinary
        self.bulkDataURI = bulkDataURI
    }

    enum CodingKeys: String, CodingKey {
        case vr
        case values = "Value"
        case inlineBinary = "InlineBinary"
        case bulkDataURI = "BulkDataURI"
    }
}

/// One value of an attribute's `Value` array.
enum DICOMJSONValue: Encodable, Sendable, Equatable {
    case string(String)
    /// DS, FL, FD: a JSON number; a value that is not finite is written as null.
    case number(Double)
    /// IS, US, UL, SS, SL, SV.
    case integer(Int64)
    /// UV (above Int64's range).
    case unsigned(UInt64)
    case personName(PersonName)
    case item(DICOMJSONDataSet)
    /// An empty value among several (e.g. "1\\\\3").
    case null

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value): if value.isFinite { try container.encode(value) } else { try container.encodeNil() }
        case .integer(let value): try container.encode(value)
        case .unsigned(let value): try container.encode(value)
        case .personName(let value): try container.encode(value)
        case .item(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }
}

/// A PN value's component groups (PS3.5 6.2: alphabetic=ideographic=phonetic).
struct PersonName: Encodable, Sendable, Equatable {
    var alphabetic: String?
    var ideographic: String?
    var phonetic: String?

    init(_ value: String) {
        let groups = value.split(separator: "=", omittingEmptySubsequences: false).map(String.init)
        func group(_ index: Int) -> String? { index < groups.count && !groups[index].isEmpty ? groups[index] : nil }
        alphabetic = group(0)
        ideographic = group(1)
        phonetic = group(2)
    }

    enum CodingKeys: String, CodingKey {
        case alphabetic = "Alphabetic"
        case ideographic = "Ideographic"
        case phonetic = "Phonetic"
    }
}

enum DICOMJSON {
    /// The media type of DICOM JSON bodies.
    static let mediaType = "application/dicom+json"

    /// `value` (one data set or an array of them) as UTF-8 JSON, keys sorted.
    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }
}

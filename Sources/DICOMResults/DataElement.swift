/// A data element tag, (group, element). Ordered as PS3.5 7.1 requires a data set to be
/// written: by group, then by element.
public struct ElementTag: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let group: UInt16
    public let element: UInt16

    public init(_ group: UInt16, _ element: UInt16) {
        self.group = group
        self.element = element
    }

    public static func < (a: ElementTag, b: ElementTag) -> Bool {
        (a.group, a.element) < (b.group, b.element)
    }

    public var description: String {
        "(" + hex(group) + "," + hex(element) + ")"
    }

    private func hex(_ value: UInt16) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    static let item = ElementTag(0xFFFE, 0xE000)
    static let itemDelimitation = ElementTag(0xFFFE, 0xE00D)
    static let sequenceDelimitation = ElementTag(0xFFFE, 0xE0DD)
}

/// The value representations this writer encodes (PS3.5 6.2), named in full words; the raw
/// value is the two-letter code written in explicit VR.
public enum ValueRepresentation: String, Sendable {
    case applicationEntity = "AE"
    case ageString = "AS"
    case codeString = "CS"
    case date = "DA"
    case decimalString = "DS"
    case dateTime = "DT"
    case floatingPointDouble = "FD"
    case floatingPointSingle = "FL"
    case integerString = "IS"
    case longString = "LO"
    case longText = "LT"
    case otherByte = "OB"
    case otherWord = "OW"
    case personName = "PN"
    case shortString = "SH"
    case sequence = "SQ"
    case signedShort = "SS"
    case shortText = "ST"
    case time = "TM"
    case unlimitedCharacters = "UC"
    case uniqueIdentifier = "UI"
    case unsignedLong = "UL"
    case unknown = "UN"
    case universalResourceIdentifier = "UR"
    case unsignedShort = "US"
    case unlimitedText = "UT"

    /// Explicit VR encodings with two reserved bytes and a 32-bit length (PS3.5 Table 7.1-1);
    /// the others have a 16-bit length.
    var hasLongLength: Bool {
        switch self {
        case .otherByte, .otherWord, .sequence, .unlimitedCharacters, .unknown, .universalResourceIdentifier,
             .unlimitedText:
            return true
        default:
            return false
        }
    }

    /// The byte that pads an odd-length value to even length (PS3.5 6.2): NUL for UIDs and
    /// binary values, a space for text.
    var paddingByte: UInt8 {
        switch self {
        case .uniqueIdentifier, .otherByte, .otherWord, .unknown: return 0x00
        default: return 0x20
        }
    }

    /// Whether the value is text (character repertoire, backslash-separated values).
    var isText: Bool {
        switch self {
        case .otherByte, .otherWord, .unknown, .sequence, .unsignedShort, .unsignedLong, .signedShort,
             .floatingPointSingle, .floatingPointDouble:
            return false
        default:
            return true
        }
    }
}

/// A data element's value, in the form its VR takes.
public enum ElementValue: Sendable, Equatable {
    /// Text values; more than one is written separated by backslashes.
    case strings([String])
    case unsignedShorts([UInt16])
    case signedShorts([Int16])
    case unsignedLongs([UInt32])
    case floats([Float])
    case doubles([Double])
    /// OB, OW (already in little-endian byte order) or UN bytes.
    case bytes([UInt8])
    /// Sequence items, each a nested data set.
    case items([DataSet])
}

/// One data element: tag, VR and value.
public struct DataElement: Sendable, Equatable {
    public var tag: ElementTag
    public var representation: ValueRepresentation
    public var value: ElementValue

    public init(_ tag: ElementTag, _ representation: ValueRepresentation, _ value: ElementValue) {
        self.tag = tag
        self.representation = representation
        self.value = value
    }
}

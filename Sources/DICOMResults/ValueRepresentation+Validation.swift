extension ValueRepresentation {
    /// The most characters one value may hold (PS3.5 Table 6.2-1), nil where only the 32-bit
    /// length bounds it. PN's 64 applies to each component group.
    var maximumCharacters: Int? {
        switch self {
        case .applicationEntity, .codeString, .shortString, .decimalString: return 16
        case .ageString: return 4
        case .date: return 8
        case .dateTime: return 26
        case .integerString: return 12
        case .longString, .personName, .uniqueIdentifier: return 64
        case .shortText: return 1024
        case .longText: return 10240
        case .time: return 14
        default: return nil
        }
    }

    /// Checks one text value against its VR's length and character repertoire; returns what
    /// is wrong, or nil when the value is valid.
    public func problem(with value: String) -> String? {
        let characters = Array(value.unicodeScalars)
        if self == .personName {
            for group in value.split(separator: "=", omittingEmptySubsequences: false) where group.count > 64 {
                return "a PN component group holds \(group.count) characters, at most 64 are allowed"
            }
        } else if let maximum = maximumCharacters, characters.count > maximum {
            return "\(rawValue) value of \(characters.count) characters, at most \(maximum) are allowed: \(value.debugDescription)"
        }
        let multiLine = self == .shortText || self == .longText || self == .unlimitedText
        for scalar in characters where scalar.value < 0x20 || scalar.value == 0x7F {
            if multiLine && [0x09, 0x0A, 0x0C, 0x0D].contains(scalar.value) { continue }
            return "\(rawValue) value contains the control character U+\(String(scalar.value, radix: 16, uppercase: true))"
        }
        if !multiLine && self != .unlimitedCharacters && self != .universalResourceIdentifier, value.contains("\\") {
            return "\(rawValue) value contains a backslash, the value separator: \(value.debugDescription)"
        }
        let allowed: (Unicode.Scalar) -> Bool
        switch self {
        case .codeString:
            allowed = { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == " " || $0 == "_" }
        case .uniqueIdentifier:
            allowed = { ("0"..."9").contains($0) || $0 == "." }
        case .decimalString:
            allowed = { ("0"..."9").contains($0) || "+-Ee. ".unicodeScalars.contains($0) }
        case .integerString:
            allowed = { ("0"..."9").contains($0) || "+- ".unicodeScalars.contains($0) }
        case .date:
            allowed = { ("0"..."9").contains($0) }
        case .time:
            allowed = { ("0"..."9").contains($0) || $0 == "." }
        default:
            allowed = { _ in true }
        }
        if let bad = characters.first(where: { !allowed($0) }) {
            return "\(rawValue) value \(value.debugDescription) contains \"\(bad)\", not allowed in this VR"
        }
        if self == .uniqueIdentifier, let problem = DICOMUID.problem(with: value) {
            return problem
        }
        if self == .date && characters.count != 8 {
            return "DA value \(value.debugDescription) is not YYYYMMDD"
        }
        return nil
    }
}

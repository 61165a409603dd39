import DICOMResults
import Hummingbird
import Service
import Store

/// A QIDO-RS request's query (PS3.18 8.3.4): match keys by keyword or tag, `limit`, `offset`,
/// `includefield`, `fuzzymatching`. Keys are checked against the level searched: a key the
/// service cannot match is ignored and named in a Warning header (as 8.3.4.1 lets an origin
/// server do), a key that names no attribute is a 400, as is a malformed value.
struct SearchRequest {
    enum Level: Int, Comparable {
        case study, series, instance
        static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    /// The conditions and offset; its limit is set by `limit`.
    var query = DICOMQuery()
    /// Most matches to return: the request's limit, cut to the service's maximum.
    var limit: Int
    /// Whether `limit` is the service's maximum (the request gave none, or more), so that
    /// more matches than it deserve a warning.
    var limitIsMaximum = true
    /// Tags `includefield` named; `includeAll` for "all".
    var includeFields: Set<UInt32> = []
    var includeAll = false
    /// Warning header texts (PS3.18 8.3.4.4: "299 <service>: <text>").
    var warnings: [String] = []

    /// How a match key's value reads (PS3.4 C.2.2.2): a UID list, a date or time range, one of
    /// a list of codes, or a value with wildcards.
    enum ValueKind { case uidList, dateRange, timeRange, codeList, integer, text }

    /// The keys the store can match: attribute, level, and how its value reads.
    static let keys: [UInt32: (DICOMQuery.Attribute, Level, ValueKind)] = [
        Tags.patientID: (.patientID, .study, .text),
        Tags.patientName: (.patientName, .study, .text),
        Tags.patientBirthDate: (.patientBirthDate, .study, .dateRange),
        Tags.patientSex: (.patientSex, .study, .codeList),
        Tags.studyInstanceUID: (.studyInstanceUID, .study, .uidList),
        Tags.studyDate: (.studyDate, .study, .dateRange),
        Tags.studyTime: (.studyTime, .study, .timeRange),
        Tags.accessionNumber: (.accessionNumber, .study, .text),
        Tags.studyID: (.studyID, .study, .text),
        Tags.referringPhysicianName: (.referringPhysicianName, .study, .text),
        Tags.studyDescription: (.studyDescription, .study, .text),
        Tags.modalitiesInStudy: (.modalitiesInStudy, .study, .codeList),
        Tags.seriesInstanceUID: (.seriesInstanceUID, .series, .uidList),
        Tags.modality: (.modality, .series, .codeList),
        Tags.seriesNumber: (.seriesNumber, .series, .integer),
        Tags.seriesDescription: (.seriesDescription, .series, .text),
        Tags.sopInstanceUID: (.sopInstanceUID, .instance, .uidList),
        Tags.sopClassUID: (.sopClassUID, .instance, .uidList),
        Tags.instanceNumber: (.instanceNumber, .instance, .integer),
    ]

    /// Reads the query of a search at `level`; `maximum` caps `limit` (a larger or absent one
    /// is cut to it and the response says when more matched).
    init(_ parameters: [(key: Substring, value: Substring)], level: Level, maximum: Int) throws(ServiceError) {
        limit = maximum
        for (rawKey, rawValue) in parameters {
            let name = String(rawKey), value = String(rawValue)
            switch name {
            case "limit":
                guard let limit = Int(value), limit >= 0 else { throw .badRequest("limit \(value.debugDescription) is not a count") }
                self.limit = min(limit, maximum)
                limitIsMaximum = limit >= maximum
            case "offset":
                guard let offset = Int(value), offset >= 0 else { throw .badRequest("offset \(value.debugDescription) is not a count") }
                query.offset = offset
            case "includefield":
                for field in value.split(separator: ",").map({ String($0).trimmingWhitespaceAndTabs() }) where !field.isEmpty {
                    if field == "all" { includeAll = true; continue }
                    guard let tag = DataDictionary.tag(named: field) else {
                        throw .badRequest("includefield \(field.debugDescription) is neither an attribute keyword nor a tag (GGGGEEEE)")
                    }
                    includeFields.insert(tag)
                }
            case "fuzzymatching":
                guard value == "true" || value == "false" else {
                    throw .badRequest("fuzzymatching must be true or false, not \(value.debugDescription)")
                }
                if value == "true" { warnings.append("fuzzymatching is not supported; names were matched as given.") }
            default:
                try addCondition(name, value, level: level)
            }
        }
    }

    mutating func addCondition(_ name: String, _ value: String, level: Level) throws(ServiceError) {
        guard let tag = DataDictionary.tag(named: name) else {
            throw .badRequest("query key \(name.debugDescription) is neither an attribute keyword nor a tag (GGGGEEEE)")
        }
        guard case let (attribute, keyLevel, kind)? = Self.keys[tag], keyLevel <= level else {
            warnings.append("The query key \(name) is not supported at this level and was ignored.")
            return
        }
        if value.isEmpty { return }   // universal matching
        switch kind {
        case .uidList:
            let uids = value.split(whereSeparator: { $0 == "," || $0 == "\\" }).map(String.init)
            for uid in uids {
                if let problem = DICOMUID.problem(with: uid) { throw .badRequest("\(name): \(problem)") }
            }
            query.conditions.append(.init(attribute, .anyOf(uids)))
        case .dateRange, .timeRange:
            query.conditions.append(.init(attribute, try Self.range(value, name: name, date: kind == .dateRange)))
        case .codeList:
            query.conditions.append(.init(attribute, .anyOf(value.split(whereSeparator: { $0 == "," || $0 == "\\" }).map(String.init))))
        case .integer:
            guard Int(value) != nil else { throw .badRequest("\(name) \(value.debugDescription) is not an integer") }
            query.conditions.append(.init(attribute, .anyOf([value])))
        case .text:
            query.conditions.append(.init(attribute, value.contains("*") || value.contains("?") ? .wildcard(value) : .anyOf([value])))
        }
    }

    /// A DA or TM value or range: "A", "A-B", "-B" or "A-" (PS3.4 C.2.2.2.5), each end
    /// YYYYMMDD for a date, HH[MM[SS[.F]]] for a time.
    static func range(_ value: String, name: String, date: Bool) throws(ServiceError) -> DICOMQuery.Match {
        let ends = value.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        let malformed = ServiceError.badRequest("\(name) \(value.debugDescription) is not a \(date ? "date YYYYMMDD" : "time HHMMSS") "
            + "or a range A-B of them")
        guard ends.count <= 2 else { throw malformed }
        for end in ends where !end.isEmpty {
            let valid = date ? end.count == 8 && end.allSatisfy(\.isASCII) && end.allSatisfy(\.isNumber)
                : (2...13).contains(end.count) && end.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard valid else { throw malformed }
        }
        if ends.count == 1 { return .range(from: ends[0], to: ends[0]) }
        return .range(from: ends[0].isEmpty ? nil : ends[0], to: ends[1].isEmpty ? nil : ends[1])
    }
}

/// A search over the stored DICOM instances (PS3.18 QIDO-RS, matching as PS3.4 C.2.2.2):
/// conditions on attributes, all of which must hold, and a page of the matches.
public struct DICOMQuery: Sendable, Equatable {
    /// The attributes a search can match, each a column of the DICOMweb tables.
    public enum Attribute: String, Sendable, CaseIterable {
        case patientID, patientName, patientBirthDate, patientSex
        case studyInstanceUID, studyDate, studyTime, accessionNumber, studyID, referringPhysicianName, studyDescription
        /// Study level: any series of the study has one of the given modalities.
        case modalitiesInStudy
        case seriesInstanceUID, modality, seriesNumber, seriesDescription
        case sopInstanceUID, sopClassUID, instanceNumber

        /// Names (person names) match without regard to case, as most archives do.
        var ignoresCase: Bool { self == .patientName || self == .referringPhysicianName }
    }

    public enum Match: Sendable, Equatable {
        /// Equal to one of the values (a UID list matches any of its UIDs).
        case anyOf([String])
        /// A value with `*` (any run of characters) and `?` (one character) wildcards.
        case wildcard(String)
        /// An inclusive range of dates or times (YYYYMMDD, HHMMSS); an open end is nil.
        case range(from: String?, to: String?)
    }

    public struct Condition: Sendable, Equatable {
        public var attribute: Attribute
        public var match: Match

        public init(_ attribute: Attribute, _ match: Match) {
            self.attribute = attribute
            self.match = match
        }
    }

    public var conditions: [Condition]
    /// At most this many matches (nil: all), after skipping `offset`.
    public var limit: Int?
    public var offset: Int

    public init(conditions: [Condition] = [], limit: Int? = nil, offset: Int = 0) {
        self.conditions = conditions
        self.limit = limit
        self.offset = offset
    }
}

/// A study a search found: its patient, its attributes, and what it holds.
public struct DICOMStudyMatch: Sendable, Equatable {
    public var patient: DICOMInstanceRecord.Patient
    public var study: DICOMInstanceRecord.Study
    /// The distinct modalities of its series, sorted.
    public var modalities: [String]
    public var seriesCount: Int
    public var instanceCount: Int
}

/// A series a search found, with its study's UID.
public struct DICOMSeriesMatch: Sendable, Equatable {
    public var studyUID: String
    public var series: DICOMInstanceRecord.Series
    public var instanceCount: Int
}

/// An instance a search found, with its study's and series' UIDs.
public struct DICOMInstanceMatch: Sendable, Equatable {
    public var studyUID: String
    public var seriesUID: String
    public var sopInstanceUID: String
    public var sopClassUID: String
    public var instanceNumber: Int?
    public var rows: Int?
    public var columns: Int?
    public var frames: Int?
    public var bitsAllocated: Int?
}

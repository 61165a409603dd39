/// A DICOM instance as the DICOMweb service files it: the patient, study and series it belongs
/// to (with what searches match and return), the instance, and its file. Text values are as
/// the instance has them; nil where it has none.
public struct DICOMInstanceRecord: Sendable, Equatable {
    public struct Patient: Sendable, Equatable {
        /// Patient ID (0010,0020): the same identifier is the same `patients` row as elsewhere.
        public var identifier: String
        public var name: String?
        /// YYYYMMDD.
        public var birthDate: String?
        public var sex: String?

        public init(identifier: String, name: String? = nil, birthDate: String? = nil, sex: String? = nil) {
            self.identifier = identifier
            self.name = name
            self.birthDate = birthDate
            self.sex = sex
        }
    }

    public struct Study: Sendable, Equatable {
        public var uid: String
        /// YYYYMMDD and HHMMSS(.ffffff).
        public var date: String?
        public var time: String?
        public var accessionNumber: String?
        /// Study ID (0020,0010).
        public var studyID: String?
        public var referringPhysician: String?
        public var description: String?

        public init(uid: String, date: String? = nil, time: String? = nil, accessionNumber: String? = nil,
                    studyID: String? = nil, referringPhysician: String? = nil, description: String? = nil) {
            self.uid = uid
            self.date = date
            self.time = time
            self.accessionNumber = accessionNumber
            self.studyID = studyID
            self.referringPhysician = referringPhysician
            self.description = description
        }
    }

    public struct Series: Sendable, Equatable {
        public var uid: String
        public var modality: String?
        public var number: Int?
        public var description: String?

        public init(uid: String, modality: String? = nil, number: Int? = nil, description: String? = nil) {
            self.uid = uid
            self.modality = modality
            self.number = number
            self.description = description
        }
    }

    public var patient: Patient
    public var study: Study
    public var series: Series
    public var sopInstanceUID: String
    public var sopClassUID: String
    public var instanceNumber: Int?
    public var transferSyntax: String
    public var rows: Int?
    public var columns: Int?
    public var frames: Int?
    public var bitsAllocated: Int?
    /// The stored file: absolute path, size in bytes, SHA-256.
    public var path: String
    public var fileSize: Int
    public var contentHash: String

    public init(patient: Patient, study: Study, series: Series, sopInstanceUID: String, sopClassUID: String,
                instanceNumber: Int?, transferSyntax: String, rows: Int?, columns: Int?, frames: Int?, bitsAllocated: Int?,
                path: String, fileSize: Int, contentHash: String) {
        self.patient = patient
        self.study = study
        self.series = series
        self.sopInstanceUID = sopInstanceUID
        self.sopClassUID = sopClassUID
        self.instanceNumber = instanceNumber
        self.transferSyntax = transferSyntax
        self.rows = rows
        self.columns = columns
        self.frames = frames
        self.bitsAllocated = bitsAllocated
        self.path = path
        self.fileSize = fileSize
        self.contentHash = contentHash
    }
}

/// An instance the service has stored, as retrieving it needs it.
public struct StoredDICOMInstance: Sendable, Equatable {
    public var studyUID: String
    public var seriesUID: String
    public var sopInstanceUID: String
    public var sopClassUID: String
    public var transferSyntax: String
    public var path: String
    public var contentHash: String
    /// The SOP Instance UID of the instance this one was made from (a result), or nil.
    public var derivedFrom: String?
}

/// Why an instance cannot be filed where it says it belongs (no patient data in the reason).
public struct DICOMFilingConflict: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    /// Set when the conflict is an instance whose UID is stored already (another store filed it
    /// first): that UID, so the caller can tell a duplicate from a misfiled study or series.
    public var storedInstanceUID: String?

    public init(_ reason: String, storedInstanceUID: String? = nil) {
        self.reason = reason
        self.storedInstanceUID = storedInstanceUID
    }

    public var description: String { reason }
}

/// Rows of the DICOMweb tables, for checking that a refused request changed nothing.
public struct DICOMStoreCounts: Sendable, Equatable {
    public var patients: Int
    public var studies: Int
    public var series: Int
    public var instances: Int
    public var images: Int
}

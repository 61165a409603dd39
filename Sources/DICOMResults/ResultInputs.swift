import Foundation

/// The image that results describe, with the patient and study attributes the results
/// repeat so that they join its study (PS3.3 C.7.1.1 Patient, C.7.2.1 General Study).
/// Optional attributes are written empty when nil (they are type 2 in both IODs).
public struct SourceImage: Sendable, Equatable {
    public var sopClassUID: String
    public var sopInstanceUID: String
    public var studyInstanceUID: String
    public var seriesInstanceUID: String
    public var rows: Int
    public var columns: Int
    public var patientName: String?
    public var patientID: String?
    /// DA, YYYYMMDD.
    public var patientBirthDate: String?
    /// "M", "F" or "O".
    public var patientSex: String?
    /// DA, YYYYMMDD.
    public var studyDate: String?
    /// TM, HHMMSS with optional fraction.
    public var studyTime: String?
    public var studyID: String?
    public var accessionNumber: String?
    public var referringPhysicianName: String?

    public init(sopClassUID: String, sopInstanceUID: String, studyInstanceUID: String, seriesInstanceUID: String,
                rows: Int, columns: Int, patientName: String? = nil, patientID: String? = nil,
                patientBirthDate: String? = nil, patientSex: String? = nil, studyDate: String? = nil,
                studyTime: String? = nil, studyID: String? = nil, accessionNumber: String? = nil,
                referringPhysicianName: String? = nil) {
        self.sopClassUID = sopClassUID
        self.sopInstanceUID = sopInstanceUID
        self.studyInstanceUID = studyInstanceUID
        self.seriesInstanceUID = seriesInstanceUID
        self.rows = rows
        self.columns = columns
        self.patientName = patientName
        self.patientID = patientID
        self.patientBirthDate = patientBirthDate
        self.patientSex = patientSex
        self.studyDate = studyDate
        self.studyTime = studyTime
        self.studyID = studyID
        self.accessionNumber = accessionNumber
        self.referringPhysicianName = referringPhysicianName
    }
}

/// The algorithm that made the results: the observer device of the report (TID 1004) and
/// its identification (TID 4019).
public struct AlgorithmIdentity: Sendable, Equatable {
    /// The model's name, e.g. "thorax-efficientnet-lite0".
    public var name: String
    public var version: String
    public var manufacturer: String
    /// A UID for this model as a device; stable across its reports when the caller keeps it.
    public var deviceUID: String

    public init(name: String, version: String, manufacturer: String = "Thorax", deviceUID: String) {
        self.name = name
        self.version = version
        self.manufacturer = manufacturer
        self.deviceUID = deviceUID
    }
}

/// A rectangle in source-image pixel coordinates: (x0, y0) its top-left corner and (x1, y1)
/// its bottom-right corner, on the grid where (0, 0) is the top-left corner of the top-left
/// pixel and (columns, rows) the bottom-right corner of the last (the SCOORD convention,
/// PS3.3 C.18.6.1.1). A box covering pixel columns 10…19 has x0 = 10, x1 = 20.
public struct PixelBox: Sendable, Equatable {
    public var x0: Double
    public var y0: Double
    public var x1: Double
    public var y1: Double

    public init(x0: Double, y0: Double, x1: Double, y1: Double) {
        self.x0 = x0
        self.y0 = y0
        self.x1 = x1
        self.y1 = y1
    }
}

/// One class's result on the source image.
public struct FindingResult: Sendable, Equatable {
    /// The class name as the model names it, e.g. "Pleural_Thickening".
    public var className: String
    /// The model's probability, in [0, 1].
    public var probability: Double
    /// The model's decision threshold for this class, in [0, 1].
    public var threshold: Double
    /// Whether the finding is present at that threshold.
    public var present: Bool
    /// Where it is (present findings only; may be empty).
    public var boxes: [PixelBox]

    public init(className: String, probability: Double, threshold: Double, present: Bool, boxes: [PixelBox] = []) {
        self.className = className
        self.probability = probability
        self.threshold = threshold
        self.present = present
        self.boxes = boxes
    }
}

/// The identity of a result instance: a new series in the source's study.
public struct ResultInstance: Sendable, Equatable {
    public var seriesInstanceUID: String
    public var seriesNumber: Int
    public var sopInstanceUID: String
    public var instanceNumber: Int
    /// Content and instance creation date and time (written in UTC).
    public var created: Date

    public init(seriesInstanceUID: String = DICOMUID.make(), seriesNumber: Int, sopInstanceUID: String = DICOMUID.make(),
                instanceNumber: Int = 1, created: Date = Date()) {
        self.seriesInstanceUID = seriesInstanceUID
        self.seriesNumber = seriesNumber
        self.sopInstanceUID = sopInstanceUID
        self.instanceNumber = instanceNumber
        self.created = created
    }
}

/// Inputs the results cannot be made from: what is wrong, in words.
public struct ResultInputError: Error, CustomStringConvertible, Equatable, Sendable {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { "DICOM results: \(reason)" }
}

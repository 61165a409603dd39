import Foundation
import GRDB

/// One image file and what its header says about it (a DICOM file's attributes), as
/// `importImages` stores it.
public struct ImageRecord: Equatable, Sendable {
    /// The image's unique name: a DICOM file's SOP Instance UID.
    public var name: String
    /// The patient's identifier (DICOM Patient ID); the same identifier is the same patient
    /// row as an NIH "Patient ID" (NIH's DICOM conversions keep the NIH number).
    public var patient: String
    /// The study (visit) identifier: a DICOM Study Instance UID; nil when the file has none.
    public var study: String?
    /// Age in whole years, sex (M, F or O), view position (PA, AP, LL…).
    public var age: Int?
    public var sex: String?
    public var view: String?
    /// Millimetres between column centres (x) and row centres (y).
    public var pixelSpacingX: Double?
    public var pixelSpacingY: Double?
    /// The file: path, size, pixel dimensions (also stored as the original size) and hash.
    public var file: ImageFile

    public init(name: String, patient: String, study: String?, age: Int?, sex: String?, view: String?,
                pixelSpacingX: Double?, pixelSpacingY: Double?, file: ImageFile) {
        self.name = name
        self.patient = patient
        self.study = study
        self.age = age
        self.sex = sex
        self.view = view
        self.pixelSpacingX = pixelSpacingX
        self.pixelSpacingY = pixelSpacingY
        self.file = file
    }

    /// Whole years of a DICOM Age String (AS): "058Y" → 58, "030M" → 2, "010W" → 0,
    /// "200D" → 0; digits without a unit are read as years ("81", as some converters write).
    /// Nil for anything else.
    public static func years(fromAgeString text: String) -> Int? {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        var perYear = 1
        switch digits.last {
        case "Y"?: digits = digits.dropLast()
        case "M"?: digits = digits.dropLast(); perYear = 12
        case "W"?: digits = digits.dropLast(); perYear = 52
        case "D"?: digits = digits.dropLast(); perYear = 365
        default: break
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let count = Int(digits) else {
            return nil
        }
        return count / perYear
    }
}

/// What `importImages` changed. Importing the same records again gives all zeros but `unchanged`.
public struct ImageImportSummary: Equatable, Sendable {
    public var patientsAdded = 0
    public var studiesAdded = 0
    public var imagesAdded = 0
    public var imagesUpdated = 0
    public var unchanged = 0
    /// Records left out because an earlier record of this import has the same name
    /// ("path: why"), one each.
    public var duplicates: [String] = []
}

extension ThoraxDatabase {
    /// Stores image files with their patient and study (finding or adding both by identifier):
    /// an image of a name the database holds is updated where its fields differ, any other is
    /// added. A record whose name an earlier record of the same call has is left out and listed
    /// in `duplicates`. Idempotent; one transaction: on any error the database is as it was.
    @discardableResult
    public func importImages(_ records: [ImageRecord]) throws -> ImageImportSummary {
        try queue.write { db in try Self.importImages(records, in: db) }
    }

    /// `importImages` inside a transaction the caller holds (the DICOMweb store records an
    /// image with its instance in one).
    static func importImages(_ records: [ImageRecord], in db: Database) throws -> ImageImportSummary {
        var summary = ImageImportSummary()
        let findPatient = try db.makeStatement(sql: "SELECT id FROM patients WHERE identifier = ?")
        let findStudy = try db.makeStatement(sql: "SELECT id FROM studies WHERE patient_id = ? AND identifier = ?")
        let findImage = try db.makeStatement(sql: """
            SELECT id, patient_id, study_id, age, sex, view, original_width, original_height,
                   pixel_spacing_x, pixel_spacing_y, path, file_size, width, height, content_hash
            FROM images WHERE name = ?
            """)
        var seen: [String: String] = [:]
        for record in records {
            if let first = seen.updateValue(record.file.path, forKey: record.name) {
                seen[record.name] = first
                summary.duplicates.append("\(record.file.path): image \(record.name) was already read from \(first); left out")
                continue
            }
            let patientID: Int64
            if let id = try Int64.fetchOne(findPatient, arguments: [record.patient]) {
                patientID = id
            } else {
                try db.execute(sql: "INSERT INTO patients (identifier) VALUES (?)", arguments: [record.patient])
                patientID = db.lastInsertedRowID
                summary.patientsAdded += 1
            }
            var studyID: Int64?
            if let study = record.study {
                if let id = try Int64.fetchOne(findStudy, arguments: [patientID, study]) {
                    studyID = id
                } else {
                    try db.execute(sql: "INSERT INTO studies (patient_id, identifier) VALUES (?, ?)",
                                   arguments: [patientID, study])
                    studyID = db.lastInsertedRowID
                    summary.studiesAdded += 1
                }
            }
            let file = record.file
            let values: [DatabaseValueConvertible?] = [
                patientID, studyID, record.age, record.sex, record.view, file.width, file.height,
                record.pixelSpacingX, record.pixelSpacingY, file.path, file.size, file.width, file.height,
                file.contentHash,
            ]
            let wanted = values.map { $0?.databaseValue ?? .null }
            if let stored = try Row.fetchOne(findImage, arguments: [record.name]) {
                if Array(stored.databaseValues.dropFirst()) == wanted {
                    summary.unchanged += 1
                    continue
                }
                try db.execute(sql: """
                    UPDATE images SET patient_id = ?, study_id = ?, age = ?, sex = ?, view = ?,
                        original_width = ?, original_height = ?, pixel_spacing_x = ?, pixel_spacing_y = ?,
                        path = ?, file_size = ?, width = ?, height = ?, content_hash = ?
                    WHERE id = ?
                    """, arguments: StatementArguments(wanted + [(stored["id"] as Int64).databaseValue]))
                summary.imagesUpdated += 1
            } else {
                try db.execute(sql: """
                    INSERT INTO images (name, patient_id, study_id, age, sex, view, original_width, original_height,
                                        pixel_spacing_x, pixel_spacing_y, path, file_size, width, height, content_hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: StatementArguments([record.name.databaseValue] + wanted))
                summary.imagesAdded += 1
            }
        }
        return summary
    }
}

import Foundation
import GRDB

extension ThoraxDatabase {
    /// Files a source instance and the results made from it in one transaction: patient,
    /// study and series found by identifier or UID (and their searched attributes brought up to
    /// date where the instance gives them), one `instances` row each, the results' rows pointing
    /// at the source's (`derived_from`), and the source's `images` row when `image` is given (as
    /// `importImages` writes it). `beforeCommit` runs last inside the transaction — the service
    /// moves the files into place there — and whatever it throws rolls everything back.
    ///
    /// - Throws: `DICOMFilingConflict` when a study is filed under another patient, a series
    ///   under another study, or an instance's UID is stored already; the database is then as
    ///   it was. Errors of SQLite and of `beforeCommit` likewise.
    public func fileDICOMInstances(source: DICOMInstanceRecord, image: ImageRecord?, results: [DICOMInstanceRecord],
                                   beforeCommit: () throws -> Void) throws {
        let storedAt = ISO8601DateFormatter().string(from: Date())
        try queue.write { db in
            let sourceID = try Self.file(source, derivedFrom: nil, storedAt: storedAt, in: db)
            if let image {
                _ = try Self.importImages([image], in: db)
                try db.execute(sql: "UPDATE instances SET image_id = (SELECT id FROM images WHERE name = ?) WHERE id = ?",
                               arguments: [image.name, sourceID])
            }
            for result in results {
                try Self.file(result, derivedFrom: sourceID, storedAt: storedAt, in: db)
            }
            try beforeCommit()
        }
    }

    /// Inserts one instance (and its patient, study and series where new); returns its row id.
    @discardableResult
    static func file(_ record: DICOMInstanceRecord, derivedFrom: Int64?, storedAt: String, in db: Database) throws -> Int64 {
        let patientID = try filePatient(record.patient, in: db)
        let studyID = try fileStudy(record.study, patientID: patientID, in: db)
        let seriesID = try fileSeries(record.series, studyID: studyID, in: db)
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM instances WHERE uid = ?", arguments: [record.sopInstanceUID]) == true {
            throw DICOMFilingConflict("instance \(record.sopInstanceUID) is stored already", storedInstanceUID: record.sopInstanceUID)
        }
        try db.execute(sql: """
            INSERT INTO instances (series_id, uid, sop_class_uid, number, transfer_syntax, rows, columns, frames,
                                   bits_allocated, path, file_size, content_hash, derived_from, stored_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [seriesID, record.sopInstanceUID, record.sopClassUID, record.instanceNumber, record.transferSyntax,
                             record.rows, record.columns, record.frames, record.bitsAllocated, record.path, record.fileSize,
                             record.contentHash, derivedFrom, storedAt])
        return db.lastInsertedRowID
    }

    static func filePatient(_ patient: DICOMInstanceRecord.Patient, in db: Database) throws -> Int64 {
        if let id = try Int64.fetchOne(db, sql: "SELECT id FROM patients WHERE identifier = ?", arguments: [patient.identifier]) {
            try db.execute(sql: """
                UPDATE patients SET name = coalesce(?, name), birth_date = coalesce(?, birth_date), sex = coalesce(?, sex)
                WHERE id = ?
                """, arguments: [patient.name, patient.birthDate, patient.sex, id])
            return id
        }
        try db.execute(sql: "INSERT INTO patients (identifier, name, birth_date, sex) VALUES (?, ?, ?, ?)",
                       arguments: [patient.identifier, patient.name, patient.birthDate, patient.sex])
        return db.lastInsertedRowID
    }

    static func fileStudy(_ study: DICOMInstanceRecord.Study, patientID: Int64, in db: Database) throws -> Int64 {
        let rows = try Row.fetchAll(db, sql: "SELECT id, patient_id FROM studies WHERE identifier = ?", arguments: [study.uid])
        if rows.contains(where: { $0["patient_id"] as Int64 != patientID }) {
            throw DICOMFilingConflict("study \(study.uid) is filed under another patient")
        }
        let values: StatementArguments = [study.date, study.time, study.accessionNumber, study.studyID,
                                          study.referringPhysician, study.description]
        if let row = rows.first {
            let id: Int64 = row["id"]
            try db.execute(sql: """
                UPDATE studies SET date = coalesce(?, date), time = coalesce(?, time),
                    accession_number = coalesce(?, accession_number), dicom_study_id = coalesce(?, dicom_study_id),
                    referring_physician = coalesce(?, referring_physician), description = coalesce(?, description)
                WHERE id = ?
                """, arguments: values + [id])
            return id
        }
        try db.execute(sql: """
            INSERT INTO studies (patient_id, identifier, date, time, accession_number, dicom_study_id, referring_physician,
                                 description)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [patientID, study.uid] + values)
        return db.lastInsertedRowID
    }

    static func fileSeries(_ series: DICOMInstanceRecord.Series, studyID: Int64, in db: Database) throws -> Int64 {
        if let row = try Row.fetchOne(db, sql: "SELECT id, study_id FROM series WHERE uid = ?", arguments: [series.uid]) {
            guard row["study_id"] as Int64 == studyID else {
                throw DICOMFilingConflict("series \(series.uid) belongs to another study")
            }
            let id: Int64 = row["id"]
            try db.execute(sql: """
                UPDATE series SET modality = coalesce(?, modality), number = coalesce(?, number),
                    description = coalesce(?, description)
                WHERE id = ?
                """, arguments: [series.modality, series.number, series.description, id])
            return id
        }
        try db.execute(sql: "INSERT INTO series (study_id, uid, modality, number, description) VALUES (?, ?, ?, ?, ?)",
                       arguments: [studyID, series.uid, series.modality, series.number, series.description])
        return db.lastInsertedRowID
    }

    /// The stored instance `uid`, or nil.
    public func storedDICOMInstance(uid: String) throws -> StoredDICOMInstance? {
        try queue.read { db in
            try Row.fetchOne(db, sql: Self.storedInstanceSQL + " WHERE i.uid = ?", arguments: [uid]).map(Self.storedInstance)
        }
    }

    /// The instances of study `study` (of its series `series` when given), by series and
    /// instance number, then in the order they were stored.
    public func storedDICOMInstances(study: String, series: String? = nil) throws -> [StoredDICOMInstance] {
        try queue.read { db in
            var sql = Self.storedInstanceSQL + " WHERE st.identifier = ?"
            var arguments: StatementArguments = [study]
            if let series {
                sql += " AND se.uid = ?"
                arguments += [series]
            }
            sql += " ORDER BY se.id, i.number IS NULL, i.number, i.id"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.storedInstance)
        }
    }

    static let storedInstanceSQL = """
        SELECT st.identifier, se.uid, i.uid, i.sop_class_uid, i.transfer_syntax, i.path, i.content_hash,
               (SELECT uid FROM instances WHERE id = i.derived_from)
        FROM instances i JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id
        """

    static func storedInstance(_ row: Row) -> StoredDICOMInstance {
        StoredDICOMInstance(studyUID: row[0], seriesUID: row[1], sopInstanceUID: row[2], sopClassUID: row[3],
                            transferSyntax: row[4], path: row[5], contentHash: row[6], derivedFrom: row[7])
    }

    /// Row counts of the tables a store writes.
    public func dicomStoreCounts() throws -> DICOMStoreCounts {
        try queue.read { db in
            func count(_ table: String) throws -> Int { try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
            return DICOMStoreCounts(patients: try count("patients"), studies: try count("studies"), series: try count("series"),
                                    instances: try count("instances"), images: try count("images"))
        }
    }
}

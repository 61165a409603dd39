import Foundation
import GRDB

/// What an NIH import changed. Re-importing the same files gives all zeros.
public struct NIHImportSummary: Equatable, Sendable {
    public var patientsAdded = 0
    /// Studies added: one per patient and follow-up number.
    public var studiesAdded = 0
    /// Studies left without images (or reports) when their images moved to another study.
    public var studiesRemoved = 0
    public var imagesAdded = 0
    public var imagesUpdated = 0
    public var labelsAdded = 0
    public var labelsRemoved = 0
    public var boxesAdded = 0
    public var boxesRemoved = 0
    /// Images added to, moved within, or removed from the `official` split.
    public var splitChanges = 0
    /// Images whose file was found on disk in this import (changed or not).
    public var filesFound = 0
    /// Images whose recorded file (path, size, dimensions) changed.
    public var filesUpdated = 0
    /// PNG files in the images directory that Data_Entry does not list.
    public var filesUnlisted = 0
    /// Listed files that exist but could not be read (path and why), one each.
    public var fileProblems: [String] = []

    /// Whether the import wrote anything.
    public var changedAnything: Bool {
        patientsAdded + studiesAdded + studiesRemoved + imagesAdded + imagesUpdated + labelsAdded + labelsRemoved + boxesAdded
            + boxesRemoved + splitChanges + filesUpdated > 0
    }
}

extension ThoraxDatabase {
    /// The split holding the NIH release's patient-level split, and its parts.
    public static let officialSplit = "official"
    public static let officialTrainValidation = "train_val"
    public static let officialTest = "test"

    /// The identifier of the NIH study (visit) of a Data_Entry "Follow-up #": the number with
    /// at least three digits ("000" for a patient's first visit), so that text order is number
    /// order. The release has no study ids; each patient's follow-up number names one visit
    /// (all 112,120 (patient, follow-up) pairs are distinct). It is the column, not the number
    /// in the image name: the two differ on 24,106 rows of Data_Entry_2017_v2020.
    public static func nihStudyIdentifier(followUp: Int) -> String {
        let digits = String(followUp)
        return digits.count >= 3 ? digits : String(repeating: "0", count: 3 - digits.count) + digits
    }

    /// Stores the NIH release: one patient per "Patient ID", one study per patient and
    /// "Follow-up #" (`nihStudyIdentifier`), one image per Data_Entry row with
    /// its positive classes as `nih` labels ("No Finding" as its own label), the boxes as `nih`
    /// boxes, and the two lists as split `official` parts `train_val` and `test`. With
    /// `imagesDirectory`, also records which images exist there (path, size, dimensions) and,
    /// with `hashFiles`, their SHA-256 (which reads every file whole: minutes for the full set).
    ///
    /// Idempotent: rows are compared with what is stored and only differences are written, so
    /// re-importing the same files changes nothing. Everything happens in one transaction: on
    /// any error the database is left as it was. Images stored earlier but absent from this
    /// Data_Entry are left alone; the `official` split becomes exactly the two lists.
    @discardableResult
    public func importNIH(_ release: NIHRelease, imagesDirectory: URL? = nil, hashFiles: Bool = false,
                          progress: ((_ stage: String, _ done: Int, _ total: Int) -> Void)? = nil) throws -> NIHImportSummary {
        var summary = NIHImportSummary()
        var scan = ImageFileScan.ScanResult()
        if let imagesDirectory {
            scan = try ImageFileScan.scan(imagesDirectory, names: Set(release.entries.map(\.name)), hash: hashFiles)
            summary.filesFound = scan.found.count
            summary.filesUnlisted = scan.unlisted
            summary.fileProblems = scan.problems
        }
        try queue.writeWithoutTransaction { db in
            // Foreign keys are not enforced during the import (SQLite ignores the pragma inside
            // a transaction, hence before it): every id the import writes is one it read or
            // inserted in this transaction, and it deletes only rows nothing refers to (labels,
            // boxes, split rows, studies checked to be empty), so enforcement would only repeat
            // 590,000 parent look-ups — a ninth of the full import's instructions (cachegrind).
            // Tests run SQLite's `foreign_key_check` after imports.
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            defer { try? db.execute(sql: "PRAGMA foreign_keys = ON") }
            try db.inTransaction {
                // Adding many rows: drop the secondary indexes and build them again afterwards
                // (sorting once is cheaper than 400,000 index insertions), inside the transaction.
                let imagesStored = try Int.fetchOne(db, sql: "SELECT count(*) FROM images") ?? 0
                let rebuilt = release.entries.count - imagesStored > 10_000 ? try dropSecondaryIndexes(db) : []
                try writeNIH(release, files: scan.found, into: db, summary: &summary, progress: progress)
                for sql in rebuilt { try db.execute(sql: sql) }
                return .commit
            }
        }
        return summary
    }

    /// Drops the indexes the import does not read (those SQLite made for UNIQUE and PRIMARY
    /// KEY constraints stay) on the tables it fills, and returns their `CREATE` statements.
    private func dropSecondaryIndexes(_ db: Database) throws -> [String] {
        let indexes = try Row.fetchAll(db, sql: """
            SELECT name, sql FROM sqlite_master
            WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('studies', 'images', 'labels', 'splits')
            ORDER BY name
            """)
        for index in indexes {
            let name: String = index[0]
            try db.execute(sql: "DROP INDEX \"\(name.replacingOccurrences(of: "\"", with: "\"\""))\"")
        }
        return indexes.map { $0[1] }
    }

    /// A stored image's NIH fields and file fields, to compare with an incoming row.
    private struct StoredImage {
        var id: Int64
        var patientID: Int64
        var studyID: Int64?
        var entry: NIHRelease.Entry
        var file: ImageFile?
    }

    private func writeNIH(_ release: NIHRelease, files: [String: ImageFile], into db: Database,
                          summary: inout NIHImportSummary,
                          progress: ((String, Int, Int) -> Void)?) throws {
        let total = release.entries.count

        // What is stored already.
        var patients: [String: Int64] = [:]
        patients.reserveCapacity(40_000)
        try Row.fetchCursor(db, sql: "SELECT identifier, id FROM patients").forEach { row in
            patients[row[0]] = row[1]
        }
        var studies: [StudyKey: Int64] = [:]
        studies.reserveCapacity(total)
        try Row.fetchCursor(db, sql: "SELECT patient_id, identifier, id FROM studies").forEach { row in
            studies[StudyKey(patient: row[0], identifier: row[1])] = row[2]
        }
        var images: [String: StoredImage] = [:]
        images.reserveCapacity(total)
        let imageRows = try Row.fetchCursor(db, sql: """
            SELECT id, name, patient_id, follow_up, age, sex, view, original_width, original_height,
                   pixel_spacing_x, pixel_spacing_y, path, file_size, width, height, content_hash, study_id
            FROM images
            """)
        var identifierOfPatient: [Int64: String] = [:]
        for (identifier, id) in patients { identifierOfPatient[id] = identifier }
        while let row = try imageRows.next() {
            let name: String = row[1]
            let patientID: Int64 = row[2]
            let entry = NIHRelease.Entry(
                name: name, findings: [], followUp: row[3] ?? -1,
                patient: identifierOfPatient[patientID] ?? "", age: row[4] ?? -1, sex: row[5] ?? "",
                view: row[6] ?? "", originalWidth: row[7] ?? -1, originalHeight: row[8] ?? -1,
                pixelSpacingX: row[9] ?? -1, pixelSpacingY: row[10] ?? -1)
            var file: ImageFile?
            if let path: String = row[11] {
                file = ImageFile(path: path, size: row[12] ?? -1, width: row[13] ?? -1, height: row[14] ?? -1,
                                 contentHash: row[15])
            }
            images[name] = StoredImage(id: row[0], patientID: patientID, studyID: row[16], entry: entry, file: file)
        }
        var labels: [Int64: Set<String>] = [:]
        try Row.fetchCursor(db, sql: "SELECT image_id, class FROM labels WHERE source = 'nih' AND image_id IS NOT NULL").forEach { row in
            labels[row[0], default: []].insert(row[1])
        }

        var insertPatient = try BulkStatement(db, sql: "INSERT INTO patients (identifier) VALUES (?)")
        var insertStudy = try BulkStatement(db, sql: "INSERT INTO studies (patient_id, identifier) VALUES (?, ?)")
        var insertImage = try BulkStatement(db, sql: """
            INSERT INTO images (name, patient_id, study_id, follow_up, age, sex, view, original_width,
                                original_height, pixel_spacing_x, pixel_spacing_y,
                                path, file_size, width, height, content_hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let updateImage = try db.makeStatement(sql: """
            UPDATE images SET patient_id = ?, study_id = ?, follow_up = ?, age = ?, sex = ?, view = ?,
                original_width = ?, original_height = ?, pixel_spacing_x = ?, pixel_spacing_y = ?
            WHERE id = ?
            """)
        let updateFile = try db.makeStatement(sql: """
            UPDATE images SET path = ?, file_size = ?, width = ?, height = ?,
                content_hash = coalesce(?, CASE WHEN path IS ? AND file_size IS ? THEN content_hash END)
            WHERE id = ?
            """)
        var insertLabel = try BulkStatement(db, sql:
            "INSERT INTO labels (image_id, class, value, source) VALUES (?, ?, 1, 'nih')")
        let deleteLabel = try db.makeStatement(sql:
            "DELETE FROM labels WHERE image_id = ? AND class = ? AND source = 'nih'")

        var imageIDs: [String: Int64] = [:]
        imageIDs.reserveCapacity(total)
        // Studies that updated images left; those left with no image and no report go.
        var formerStudies: Set<Int64> = []
        for (number, entry) in release.entries.enumerated() {
            if number % 4096 == 0 { progress?("images", number, total) }
            let patientID: Int64
            if let id = patients[entry.patient] {
                patientID = id
            } else {
                insertPatient.bind(entry.patient)
                try insertPatient.step()
                patientID = db.lastInsertedRowID
                patients[entry.patient] = patientID
                summary.patientsAdded += 1
            }
            let studyKey = StudyKey(patient: patientID, identifier: Self.nihStudyIdentifier(followUp: entry.followUp))
            let studyID: Int64
            if let id = studies[studyKey] {
                studyID = id
            } else {
                insertStudy.bind(patientID)
                insertStudy.bind(studyKey.identifier)
                try insertStudy.step()
                studyID = db.lastInsertedRowID
                studies[studyKey] = studyID
                summary.studiesAdded += 1
            }
            let file = files[entry.name]
            let imageID: Int64
            if let stored = images[entry.name] {
                imageID = stored.id
                var comparable = entry
                comparable.findings = []
                if stored.patientID != patientID || stored.studyID != studyID || stored.entry != comparable {
                    if let former = stored.studyID, former != studyID { formerStudies.insert(former) }
                    try updateImage.execute(arguments: [
                        patientID, studyID, entry.followUp, entry.age, entry.sex, entry.view,
                        entry.originalWidth, entry.originalHeight, entry.pixelSpacingX,
                        entry.pixelSpacingY, imageID,
                    ])
                    summary.imagesUpdated += 1
                }
                // Without a new hash, the stored one is kept for the same path and size, and
                // dropped for a different file (it would be stale).
                var storedFile = stored.file
                if file?.contentHash == nil { storedFile?.contentHash = nil }
                if let file, storedFile != file {
                    try updateFile.execute(arguments: [
                        file.path, file.size, file.width, file.height, file.contentHash,
                        file.path, file.size, imageID,
                    ])
                    summary.filesUpdated += 1
                }
            } else {
                insertImage.bind(entry.name)
                insertImage.bind(patientID)
                insertImage.bind(studyID)
                insertImage.bind(entry.followUp)
                insertImage.bind(entry.age)
                insertImage.bind(entry.sex)
                insertImage.bind(entry.view)
                insertImage.bind(entry.originalWidth)
                insertImage.bind(entry.originalHeight)
                insertImage.bind(entry.pixelSpacingX)
                insertImage.bind(entry.pixelSpacingY)
                insertImage.bind(file?.path)
                insertImage.bind(file?.size)
                insertImage.bind(file?.width)
                insertImage.bind(file?.height)
                insertImage.bind(file?.contentHash)
                try insertImage.step()
                imageID = db.lastInsertedRowID
                summary.imagesAdded += 1
                if file != nil { summary.filesUpdated += 1 }
            }
            imageIDs[entry.name] = imageID

            // Labels: the positive classes, or "No Finding".
            let wanted = entry.findings.isEmpty ? [Findings.noFinding] : entry.findings
            let have = labels[imageID] ?? []
            for finding in wanted where !have.contains(finding) {
                insertLabel.bind(imageID)
                insertLabel.bind(finding)
                try insertLabel.step()
                summary.labelsAdded += 1
            }
            if have.count > 0 {
                for finding in have where !wanted.contains(finding) {
                    try deleteLabel.execute(arguments: [imageID, finding])
                    summary.labelsRemoved += 1
                }
            }
        }
        progress?("images", total, total)
        let deleteStudy = try db.makeStatement(sql: """
            DELETE FROM studies WHERE id = ? AND NOT EXISTS (SELECT 1 FROM images WHERE study_id = studies.id)
                AND NOT EXISTS (SELECT 1 FROM reports WHERE study_id = studies.id)
                AND NOT EXISTS (SELECT 1 FROM series WHERE study_id = studies.id)
            """)
        for id in formerStudies.sorted() {
            try deleteStudy.execute(arguments: [id])
            summary.studiesRemoved += db.changesCount
        }

        try writeBoxes(release.boxes, imageIDs: imageIDs, into: db, summary: &summary)
        try writeOfficialSplit(release, imageIDs: imageIDs, into: db, summary: &summary)
    }

    /// A study as the import looks it up: its patient and identifier (the table's unique key).
    private struct StudyKey: Hashable {
        var patient: Int64
        var identifier: String
    }

    private func writeBoxes(_ boxes: [NIHRelease.Box], imageIDs: [String: Int64], into db: Database,
                            summary: inout NIHImportSummary) throws {
        struct Key: Hashable { var image: Int64; var finding: String; var x, y, w, h: Double }
        var stored: [Key: [Int64]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, image_id, class, x, y, w, h FROM boxes WHERE source = 'nih'") {
            stored[Key(image: row[1], finding: row[2], x: row[3], y: row[4], w: row[5], h: row[6]), default: []].append(row[0])
        }
        let insertBox = try db.makeStatement(sql:
            "INSERT INTO boxes (image_id, class, x, y, w, h, source) VALUES (?, ?, ?, ?, ?, ?, 'nih')")
        for box in boxes {
            // Every box names a Data_Entry image: NIHRelease.read checked it.
            let key = Key(image: imageIDs[box.image]!, finding: box.finding,
                          x: box.x, y: box.y, w: box.width, h: box.height)
            if var ids = stored[key], !ids.isEmpty {
                ids.removeLast()
                stored[key] = ids
            } else {
                try insertBox.execute(arguments: [key.image, key.finding, key.x, key.y, key.w, key.h])
                summary.boxesAdded += 1
            }
        }
        let deleteBox = try db.makeStatement(sql: "DELETE FROM boxes WHERE id = ?")
        for id in stored.values.joined() {
            try deleteBox.execute(arguments: [id])
            summary.boxesRemoved += 1
        }
    }

    private func writeOfficialSplit(_ release: NIHRelease, imageIDs: [String: Int64], into db: Database,
                                    summary: inout NIHImportSummary) throws {
        var stored: [Int64: String] = [:]
        stored.reserveCapacity(imageIDs.count)
        try Row.fetchCursor(db, sql: "SELECT image_id, part FROM splits WHERE name = ?",
                                       arguments: [Self.officialSplit]).forEach { row in
            stored[row[0]] = row[1]
        }
        var upsert = try BulkStatement(db, sql: """
            INSERT INTO splits (image_id, name, part) VALUES (?, ?, ?)
            ON CONFLICT (image_id, name) DO UPDATE SET part = excluded.part
            """)
        for (part, names) in [(Self.officialTrainValidation, release.trainValidation),
                              (Self.officialTest, release.test)] {
            for name in names {
                let id = imageIDs[name]!
                if stored.removeValue(forKey: id) != part {
                    upsert.bind(id)
                    upsert.bind(Self.officialSplit)
                    upsert.bind(part)
                    try upsert.step()
                    summary.splitChanges += 1
                }
            }
        }
        let delete = try db.makeStatement(sql: "DELETE FROM splits WHERE name = ? AND image_id = ?")
        for id in stored.keys {
            try delete.execute(arguments: [Self.officialSplit, id])
            summary.splitChanges += 1
        }
    }
}


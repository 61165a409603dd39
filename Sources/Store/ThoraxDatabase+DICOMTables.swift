import GRDB

extension ThoraxDatabase {
    /// Migration v5: what the DICOMweb service files instances by. A patient gains the name,
    /// birth date and sex a search returns; a study the attributes a search matches (its
    /// `identifier` is the Study Instance UID, `date` the Study Date, YYYYMMDD). Series and
    /// instances are new: every instance a DICOMweb client stored, and every result made from
    /// one (`derived_from`), with its file under the service's data directory. A source image
    /// is also an `images` row (`image_id`), as `db import-dicom` records it.
    static func createDICOMTables(_ db: Database) throws {
        try db.alter(table: "patients") { t in
            t.add(column: "name", .text)
            t.add(column: "birth_date", .text)
            t.add(column: "sex", .text)
        }
        try db.alter(table: "studies") { t in
            t.add(column: "time", .text)
            t.add(column: "accession_number", .text)
            // The DICOM Study ID (0020,0010), the site's short name for the study.
            t.add(column: "dicom_study_id", .text)
            t.add(column: "referring_physician", .text)
            t.add(column: "description", .text)
        }
        try db.create(table: "series") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("study_id", .integer).references("studies", onDelete: .cascade).notNull()
            t.column("uid", .text).notNull().unique()
            t.column("modality", .text)
            t.column("number", .integer)
            t.column("description", .text)
        }
        try db.create(table: "instances") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("series_id", .integer).references("series", onDelete: .cascade).notNull()
            t.column("uid", .text).notNull().unique()
            t.column("sop_class_uid", .text).notNull()
            t.column("number", .integer)
            t.column("transfer_syntax", .text).notNull()
            t.column("rows", .integer)
            t.column("columns", .integer)
            t.column("frames", .integer)
            t.column("bits_allocated", .integer)
            t.column("path", .text).notNull()
            t.column("file_size", .integer).notNull()
            t.column("content_hash", .text).notNull()
            t.column("image_id", .integer).references("images", onDelete: .setNull)
            t.column("derived_from", .integer).references("instances", onDelete: .cascade)
            t.column("stored_at", .text).notNull()
        }
        try db.execute(sql: """
            CREATE INDEX series_by_study ON series(study_id);
            CREATE INDEX instances_by_series ON instances(series_id);
            CREATE INDEX instances_by_source ON instances(derived_from) WHERE derived_from IS NOT NULL;
            CREATE INDEX studies_by_identifier ON studies(identifier);
            """)
    }
}

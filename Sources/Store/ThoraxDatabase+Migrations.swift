import GRDB

extension ThoraxDatabase {
    /// The schema, as a list of migrations applied in order. Never edit a migration that has
    /// shipped: add a new one, so that existing database files upgrade in place.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: patients, studies, images, reports, labels, splits, boxes, models, predictions") { db in
            try createVersion1(db)
        }
        migrator.registerMigration("v2: the file (and row) each report was read from") { db in
            try db.alter(table: "reports") { t in t.add(column: "file", .text) }
        }
        migrator.registerMigration("v3: indexes for counting positives per class and images per split part") { db in
            // `stats` groups by these; without them SQLite sorts every label and split row.
            try db.execute(sql: """
                CREATE INDEX labels_positive ON labels(source, class) WHERE value = 1;
                CREATE INDEX splits_by_part ON splits(name, part);
                """)
        }
        migrator.registerMigration("v4: what a model is (weights hash, classes, card); image lookup by file") { db in
            // `studies_by_patient` repeats the first column of the (patient_id, identifier)
            // key's index, which serves the same lookups; the NIH import adds 112,120 studies.
            // A model is identified by the SHA-256 of its weights file: registering the same
            // weights again finds the same row, whatever their directory is called.
            try db.alter(table: "models") { t in
                t.add(column: "content_hash", .text)
                t.add(column: "classes", .text)
                t.add(column: "card", .text)
            }
            try db.execute(sql: """
                CREATE UNIQUE INDEX models_by_content ON models(content_hash) WHERE content_hash IS NOT NULL;
                CREATE INDEX images_by_path ON images(path) WHERE path IS NOT NULL;
                DROP INDEX studies_by_patient;
                """)
        }
        migrator.registerMigration("v5: DICOM series and instances stored by the DICOMweb service; what studies are searched by") { db in
            try createDICOMTables(db)
        }
        migrator.registerMigration("v6: indexes for the viewer's filters (images by label class, predictions by probability)") { db in
            // The viewer lists the images positive for a class by a source in id order (the
            // index's last column, after the equalities) and sorts a model's predictions of a
            // class by probability (BrowseQuery); without these both visit every row.
            try db.execute(sql: """
                CREATE INDEX labels_by_class ON labels(class, source, value, ifnull(model_id, 0), image_id) WHERE image_id IS NOT NULL;
                CREATE INDEX predictions_by_probability ON predictions(model_id, class, probability);
                """)
        }
        return migrator
    }()

    private static func createVersion1(_ db: Database) throws {
        // CHECKs compare with OR chains, not an IN list: SQLite rebuilds an IN list's lookup
        // table on every execution of an INSERT, which tripled the cost of a bulk import.
        func oneOf(_ column: String, _ values: [String]) -> String {
            values.map { "\(column) = '\($0)'" }.joined(separator: " OR ")
        }

        // The 14 classes and "No Finding", in Thorax order: labels, boxes and predictions
        // reference them, so a misspelt class cannot be stored.
        try db.create(table: "classes", options: [.withoutRowID]) { t in
            t.primaryKey("name", .text)
            t.column("position", .integer).notNull().unique()
        }
        for (position, name) in Findings.labelClasses.enumerated() {
            try db.execute(sql: "INSERT INTO classes (name, position) VALUES (?, ?)", arguments: [name, position])
        }

        // A patient as the source identifies them (NIH: the decimal "Patient ID").
        try db.create(table: "patients") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("identifier", .text).notNull().unique()
        }

        // A study (visit) of a patient: a DICOM study instance UID or an accession number.
        try db.create(table: "studies") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("patient_id", .integer).references("patients", onDelete: .cascade).notNull()
            t.column("identifier", .text).notNull()
            t.column("date", .text)
            t.uniqueKey(["patient_id", "identifier"])
        }

        // One image. `name` is the NIH "Image Index" (or a file name). `original_*` and pixel
        // spacing describe the image as acquired; `path`, `file_size`, `width`, `height` and
        // `content_hash` the file found on disk (NULL while none was found).
        try db.create(table: "images") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("name", .text).notNull().unique()
            t.column("patient_id", .integer).references("patients", onDelete: .cascade).notNull()
            t.column("study_id", .integer).references("studies", onDelete: .setNull)
            t.column("follow_up", .integer)
            t.column("age", .integer)
            t.column("sex", .text).check(sql: oneOf("sex", ["M", "F", "O"]))
            t.column("view", .text)
            t.column("original_width", .integer)
            t.column("original_height", .integer)
            t.column("pixel_spacing_x", .double)
            t.column("pixel_spacing_y", .double)
            t.column("path", .text)
            t.column("file_size", .integer)
            t.column("width", .integer)
            t.column("height", .integer)
            t.column("content_hash", .text)
        }

        // A radiology report; its text by section lives in `report_sections`.
        try db.create(table: "reports") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("source", .text).notNull()
            t.column("identifier", .text).notNull()
            t.column("patient_id", .integer).references("patients", onDelete: .setNull)
            t.column("study_id", .integer).references("studies", onDelete: .setNull)
            t.column("text", .text).notNull()
            t.uniqueKey(["source", "identifier"])
        }
        try db.create(table: "report_sections", options: [.withoutRowID]) { t in
            t.column("report_id", .integer).references("reports", onDelete: .cascade).notNull()
            t.column("position", .integer).notNull()
            t.column("name", .text).notNull()
            t.column("text", .text).notNull()
            t.primaryKey(["report_id", "position"])
        }

        // A trained (or imported) model whose outputs are stored as labels, boxes, predictions.
        try db.create(table: "models") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("name", .text).notNull().unique()
            t.column("architecture", .text)
            t.column("checkpoint", .text)
            t.column("created_at", .text).notNull()
            t.column("details", .text)
        }

        // A label of an image or of a report for one class: 1 positive, 0 negative,
        // -1 uncertain. Labels from the NIH release are stored as their positive classes only
        // (the release lists findings, never negatives): a class an image lacks there is 0.
        try db.create(table: "labels") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("image_id", .integer).references("images", onDelete: .cascade)
            t.column("report_id", .integer).references("reports", onDelete: .cascade)
            t.column("class", .text).notNull().references("classes")
            t.column("value", .integer).notNull().check(sql: "value BETWEEN -1 AND 1")
            t.column("source", .text).notNull()
                .check(sql: oneOf("source", ["nih", "labeller", "human", "model"]))
            t.column("model_id", .integer).references("models", onDelete: .cascade)
            t.column("evidence", .text)
            t.check(sql: "(image_id IS NULL) <> (report_id IS NULL)")
            t.check(sql: "(source = 'model') = (model_id IS NOT NULL)")
        }
        // One label per subject, class and source (and model). These keys also serve lookups
        // by image or report; a `image_id = ?` condition implies the partial index's WHERE.
        try db.execute(sql: """
            CREATE UNIQUE INDEX labels_of_images ON labels(image_id, class, source, ifnull(model_id, 0))
                WHERE image_id IS NOT NULL;
            CREATE UNIQUE INDEX labels_of_reports ON labels(report_id, class, source, ifnull(model_id, 0))
                WHERE report_id IS NOT NULL;
            """)

        // Named splits: each image in at most one part of a split. Keyed by image first, so
        // the table is its only b-tree (bulk imports write one row per image); reading a
        // split scans the table, which takes milliseconds.
        try db.create(table: "splits", options: [.withoutRowID]) { t in
            t.column("image_id", .integer).references("images", onDelete: .cascade).notNull()
            t.column("name", .text).notNull()
            t.column("part", .text).notNull()
            t.primaryKey(["image_id", "name"])
        }

        // A box in the image's pixel coordinates (NIH: 1024 x 1024).
        try db.create(table: "boxes") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("image_id", .integer).references("images", onDelete: .cascade).notNull()
            t.column("class", .text).notNull().references("classes")
            t.column("x", .double).notNull()
            t.column("y", .double).notNull()
            t.column("w", .double).notNull()
            t.column("h", .double).notNull()
            t.column("source", .text).notNull().check(sql: oneOf("source", ["nih", "human", "model"]))
            t.column("model_id", .integer).references("models", onDelete: .cascade)
            t.column("score", .double)
            t.check(sql: "(source = 'model') = (model_id IS NOT NULL)")
        }

        // A model's probability for one image and class.
        try db.create(table: "predictions", options: [.withoutRowID]) { t in
            t.column("model_id", .integer).references("models", onDelete: .cascade).notNull()
            t.column("image_id", .integer).references("images", onDelete: .cascade).notNull()
            t.column("class", .text).notNull().references("classes")
            t.column("probability", .double).notNull()
            t.primaryKey(["model_id", "image_id", "class"])
        }

        // Indexes for lookups by owner, and so that deleting a row does not scan its children.
        // Partial where many rows have no owner (reports without a study).
        try db.execute(sql: """
            CREATE INDEX studies_by_patient ON studies(patient_id);
            CREATE INDEX images_by_patient ON images(patient_id);
            CREATE INDEX images_by_study ON images(study_id) WHERE study_id IS NOT NULL;
            CREATE INDEX reports_by_study ON reports(study_id) WHERE study_id IS NOT NULL;
            CREATE INDEX labels_by_model ON labels(model_id) WHERE model_id IS NOT NULL;
            CREATE INDEX boxes_by_image ON boxes(image_id);
            CREATE INDEX predictions_by_image ON predictions(image_id);
            """)
    }
}

import Foundation
import GRDB

/// One image with everything stored about it, its reports, and the labels people set.
extension ThoraxDatabase {
    /// The image with id `id`: who and what it shows, its splits, labels of every source, boxes,
    /// stored predictions of every model, the patient's other images (at most 200, by follow-up
    /// number) and the ids of its reports (its study's, else its patient's). Nil when no image
    /// has that id.
    public func imageDetail(id: Int64) throws -> ImageDetail? {
        try queue.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT i.id, i.name, p.identifier, i.view, i.age, i.sex, i.follow_up, i.path, i.width, i.height,
                       i.original_width, i.original_height, i.patient_id, i.study_id
                FROM images i JOIN patients p ON p.id = i.patient_id WHERE i.id = ?
                """, arguments: [id]) else { return nil }
            let patientID: Int64 = row[12]
            let studyID: Int64? = row[13]
            let splits = try Row.fetchAll(db, sql: "SELECT name, part FROM splits WHERE image_id = ? ORDER BY name", arguments: [id])
                .map { [$0[0] as String, $0[1] as String] }
            let labels = try Row.fetchAll(db, sql: """
                SELECT l.source, l.model_id, l.class, l.value, l.evidence FROM labels l JOIN classes c ON c.name = l.class
                WHERE l.image_id = ? ORDER BY l.source, l.model_id, c.position
                """, arguments: [id]).map {
                StoredImageLabel(source: $0[0], modelID: $0[1], className: $0[2], value: $0[3], evidence: $0[4])
            }
            let boxes = try Row.fetchAll(db, sql: """
                SELECT class, x, y, w, h, source, model_id, score FROM boxes WHERE image_id = ? ORDER BY id
                """, arguments: [id]).map {
                StoredImageBox(className: $0[0], x: $0[1], y: $0[2], width: $0[3], height: $0[4], source: $0[5],
                               modelID: $0[6], score: $0[7])
            }
            var predictions: [StoredImagePrediction] = []
            for prediction in try Row.fetchAll(db, sql: """
                SELECT pr.model_id, m.name, pr.class, pr.probability FROM predictions pr JOIN models m ON m.id = pr.model_id
                WHERE pr.image_id = ? ORDER BY pr.model_id
                """, arguments: [id]) {
                let model: Int64 = prediction[0]
                if predictions.last?.modelID != model {
                    predictions.append(StoredImagePrediction(modelID: model, modelName: prediction[1], probabilities: [:]))
                }
                predictions[predictions.count - 1].probabilities[prediction[2]] = prediction[3]
            }
            let related = try Row.fetchAll(db, sql: """
                SELECT id, name, follow_up, view FROM images WHERE patient_id = ? AND id <> ?
                ORDER BY follow_up, id LIMIT 200
                """, arguments: [patientID, id]).map { RelatedImage(id: $0[0], name: $0[1], followUp: $0[2], view: $0[3]) }
            let reportIDs: [Int64]
            if let studyID {
                reportIDs = try Int64.fetchAll(db, sql: "SELECT id FROM reports WHERE study_id = ? ORDER BY id", arguments: [studyID])
            } else {
                reportIDs = try Int64.fetchAll(db, sql: "SELECT id FROM reports WHERE patient_id = ? ORDER BY id", arguments: [patientID])
            }
            return ImageDetail(id: row[0], name: row[1], patient: row[2], view: row[3], age: row[4], sex: row[5], followUp: row[6],
                               path: row[7], width: row[8], height: row[9], originalWidth: row[10], originalHeight: row[11],
                               splits: splits, labels: labels, boxes: boxes, predictions: predictions, related: related,
                               reportIDs: reportIDs)
        }
    }

    /// The report with id `id` and its sections in order; nil when there is none.
    public func storedReport(id: Int64) throws -> StoredReport? {
        try queue.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, source, identifier FROM reports WHERE id = ?", arguments: [id]) else {
                return nil
            }
            let sections = try Row.fetchAll(db, sql: "SELECT name, text FROM report_sections WHERE report_id = ? ORDER BY position",
                                            arguments: [id]).map { StoredReport.Section(name: $0[0], text: $0[1]) }
            return StoredReport(id: row[0], source: row[1], identifier: row[2], sections: sections)
        }
    }

    /// Reports by id from `offset` (at most `limit`), with the classes the labeller found
    /// positive; only those positive for `finding` when it is set.
    /// - Throws: `invalidRequest` for an unknown class or a limit outside 1…200.
    public func reportSummaries(finding: String? = nil, offset: Int = 0, limit: Int = 50) throws -> [ReportSummary] {
        if let finding, !Findings.labelClasses.contains(finding) {
            throw StoreError.invalidRequest("unknown class '\(finding)': one of \(Findings.labelClasses.joined(separator: ", "))")
        }
        guard (1...200).contains(limit), offset >= 0 else {
            throw StoreError.invalidRequest("limit \(limit) is not 1 to 200, or offset \(offset) is negative")
        }
        return try queue.read { db in
            let filter = finding == nil ? "" : """
                WHERE EXISTS (SELECT 1 FROM labels f WHERE f.report_id = r.id AND f.class = ? AND f.source = 'labeller' AND f.value = 1)
                """
            var arguments: [any DatabaseValueConvertible] = finding.map { [$0] } ?? []
            arguments += [limit, offset]
            var reports = try Row.fetchAll(db, sql: "SELECT id, source, identifier FROM reports r \(filter) ORDER BY id LIMIT ? OFFSET ?",
                                           arguments: StatementArguments(arguments)).map {
                ReportSummary(id: $0[0], source: $0[1], identifier: $0[2], positives: [])
            }
            let positives = try db.makeStatement(sql: """
                SELECT l.class FROM labels l JOIN classes c ON c.name = l.class
                WHERE l.report_id = ? AND l.source = 'labeller' AND l.value = 1 ORDER BY c.position
                """)
            for index in reports.indices {
                reports[index].positives = try String.fetchAll(positives, arguments: [reports[index].id])
            }
            return reports
        }
    }

    /// Sets (or with nil clears) the `human` label of image `imageID` for `className`:
    /// 1 positive, 0 negative, −1 uncertain. One transaction; the evaluation commands read
    /// these as truth (`thorax eval --labels human`).
    /// - Throws: `notFound` for an unknown image; `invalidRequest` for an unknown class or a
    ///   value other than −1, 0, 1.
    public func setHumanLabel(imageID: Int64, className: String, value: Int?) throws {
        guard Findings.labelClasses.contains(className) else {
            throw StoreError.invalidRequest("unknown class '\(className)': one of \(Findings.labelClasses.joined(separator: ", "))")
        }
        if let value, !(-1...1).contains(value) {
            throw StoreError.invalidRequest("label value \(value) is not 1 (positive), 0 (negative) or -1 (uncertain)")
        }
        try queue.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM images WHERE id = ?)", arguments: [imageID]) ?? false else {
                throw StoreError.notFound("no image with id \(imageID)")
            }
            try db.execute(sql: "DELETE FROM labels WHERE image_id = ? AND class = ? AND source = 'human'",
                           arguments: [imageID, className])
            if let value {
                try db.execute(sql: "INSERT INTO labels (image_id, class, value, source) VALUES (?, ?, ?, 'human')",
                               arguments: [imageID, className, value])
            }
        }
    }

    /// Model `modelID`'s stored probabilities: the classes it has any for (in Thorax order) and,
    /// per image id, one probability per class (NaN where none is stored).
    /// - Throws: `notFound` for a model id the database lacks.
    public func storedProbabilities(modelID: Int64) throws -> (classes: [String], byImage: [Int64: [Double]]) {
        try queue.read { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM models WHERE id = ?)", arguments: [modelID]) ?? false else {
                throw StoreError.notFound("no model with id \(modelID)")
            }
            let stored = Set(try String.fetchAll(db, sql: "SELECT DISTINCT class FROM predictions WHERE model_id = ?", arguments: [modelID]))
            let classes = Findings.classes.filter(stored.contains)
            let column = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($0.element, $0.offset) })
            var byImage: [Int64: [Double]] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT image_id, class, probability FROM predictions WHERE model_id = ?",
                                           arguments: [modelID])
            while let row = try rows.next() {
                guard let index = column[row[1]] else { continue }
                byImage[row[0], default: [Double](repeating: .nan, count: classes.count)][index] = row[2]
            }
            return (classes, byImage)
        }
    }

    /// Each registered model's id, name and card (the `model.json` text it was registered with).
    public func modelCards() throws -> [(id: Int64, name: String, card: String?)] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, card FROM models ORDER BY id").map { ($0[0], $0[1], $0[2]) }
        }
    }
}

import Foundation
import GRDB

/// A model's row in the database.
public struct RegisteredModel: Equatable, Sendable {
    public var id: Int64
    /// The name it is registered under (the record's, or `name@hash` when that was taken).
    public var name: String
    /// Whether this call added the row (false: the same weights were registered before).
    public var added: Bool
}

/// A model's probabilities for one stored image, in the model's class order.
public struct ImageProbabilities: Equatable, Sendable {
    public var imageID: Int64
    /// (C) probabilities in [0, 1].
    public var probabilities: [Float]

    public init(imageID: Int64, probabilities: [Float]) {
        self.imageID = imageID
        self.probabilities = probabilities
    }
}

/// What `storePredictions` wrote.
public struct PredictionStorageSummary: Equatable, Sendable {
    public var model: RegisteredModel
    /// Distinct images whose predictions were written.
    public var images = 0
    /// Of those, images that had predictions of this model before (now replaced).
    public var replaced = 0
    /// Prediction rows written (images × classes).
    public var predictions = 0
    /// Label rows of source `model` written with value 1 (probability ≥ threshold).
    public var positives = 0
}

/// An image the database holds, as found for a file.
public struct StoredImageReference: Equatable, Sendable {
    public var id: Int64
    public var name: String
}

extension ThoraxDatabase {
    /// Registers `model` unless its weights are registered already, and returns its row.
    ///
    /// Models are identified by `contentHash` (SHA-256 of the weights): registering the same
    /// weights again returns the existing row, updating its path and card when those changed
    /// (a moved directory, edited thresholds). New weights under a name already taken get the
    /// name `NAME@` + the hash's first 12 digits, so a retrained `default` does not replace
    /// the old one's row or predictions.
    ///
    /// - Throws: `StoreError.invalidRequest` when a class of the model is not one of the
    ///   database's classes (`Findings.labelClasses`), a class is listed twice, or both names
    ///   are taken.
    @discardableResult
    public func registerModel(_ model: ModelRecord) throws -> RegisteredModel {
        try queue.write { db in try register(model, db) }
    }

    private func register(_ model: ModelRecord, _ db: Database) throws -> RegisteredModel {
        let classes = model.classes.joined(separator: "|")
        if let row = try Row.fetchOne(db, sql: "SELECT id, name FROM models WHERE content_hash = ?",
                                      arguments: [model.contentHash]) {
            let id: Int64 = row[0]
            try db.execute(sql: """
                UPDATE models SET checkpoint = ?, architecture = ?, classes = ?, card = ?
                WHERE id = ? AND (checkpoint IS NOT ? OR architecture IS NOT ? OR classes IS NOT ? OR card IS NOT ?)
                """, arguments: [model.path, model.architecture, classes, model.card,
                                 id, model.path, model.architecture, classes, model.card])
            return RegisteredModel(id: id, name: row[1], added: false)
        }
        let cardFile = model.path + "/" + ModelRecord.cardFileName
        let known = Set(Findings.labelClasses)
        if let unknown = model.classes.first(where: { !known.contains($0) }) {
            throw StoreError.invalidRequest("\(cardFile): class '\(unknown)' is not one of the database's classes ("
                + Findings.labelClasses.joined(separator: ", ") + ")")
        }
        guard Set(model.classes).count == model.classes.count else {
            throw StoreError.invalidRequest("\(cardFile): a class is listed twice")
        }
        var name = model.name
        func taken(_ name: String) throws -> Bool {
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM models WHERE name = ?)", arguments: [name]) ?? false
        }
        if try taken(name) {
            name = model.name + "@" + model.contentHash.prefix(12)
            if try taken(name) {
                throw StoreError.invalidRequest("model names '\(model.name)' and '\(name)' are both registered for other weights")
            }
        }
        try db.execute(sql: """
            INSERT INTO models (name, architecture, checkpoint, created_at, content_hash, classes, card)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [name, model.architecture, model.path, model.created, model.contentHash, classes, model.card])
        return RegisteredModel(id: db.lastInsertedRowID, name: name, added: true)
    }

    /// Stores `model`'s probabilities for images of the database, registering the model first
    /// (`registerModel`): one `predictions` row per image and class, and one `labels` row of
    /// source `model` per image and class with value 1 when the probability is at least the
    /// class's threshold and 0 otherwise (a model's verdict covers every class it has, unlike
    /// the NIH release's positives-only labels).
    ///
    /// Storing again for an image replaces that model's predictions and labels of the image
    /// (never duplicates); other images and other models are left alone. An image listed twice
    /// keeps its last probabilities. One transaction: on any error nothing is written, the
    /// model's registration included.
    ///
    /// - Throws: `StoreError.notFound` for an image id the database does not hold;
    ///   `StoreError.invalidRequest` naming the image for a probability count that differs from
    ///   the model's class count, or a probability outside [0, 1] (NaN included); the errors of
    ///   `registerModel`.
    @discardableResult
    public func storePredictions(_ results: [ImageProbabilities], of model: ModelRecord) throws -> PredictionStorageSummary {
        try queue.write { db in
            var summary = PredictionStorageSummary(model: try register(model, db))
            let modelID = summary.model.id
            let imageName = try db.makeStatement(sql: "SELECT name FROM images WHERE id = ?")
            let hadPredictions = try db.makeStatement(sql:
                "SELECT EXISTS (SELECT 1 FROM predictions WHERE model_id = ? AND image_id = ?)")
            let deletePredictions = try db.makeStatement(sql: "DELETE FROM predictions WHERE model_id = ? AND image_id = ?")
            let deleteLabels = try db.makeStatement(sql: Self.deleteModelLabelsSQL)
            var insertPrediction = try BulkStatement(db, sql:
                "INSERT INTO predictions (model_id, image_id, class, probability) VALUES (?, ?, ?, ?)")
            var insertLabel = try BulkStatement(db, sql:
                "INSERT INTO labels (image_id, class, value, source, model_id) VALUES (?, ?, ?, 'model', ?)")
            var written: Set<Int64> = []
            for result in results {
                guard let name = try String.fetchOne(imageName, arguments: [result.imageID]) else {
                    throw StoreError.notFound("no image with id \(result.imageID) in the database")
                }
                guard result.probabilities.count == model.classes.count else {
                    throw StoreError.invalidRequest("image \(name): \(result.probabilities.count) probabilities for the "
                        + "\(model.classes.count) classes of model '\(summary.model.name)'")
                }
                if let c = result.probabilities.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
                    throw StoreError.invalidRequest("image \(name): probability \(result.probabilities[c]) of class "
                        + "\(model.classes[c]) is not in [0, 1]")
                }
                let replacing = try Bool.fetchOne(hadPredictions, arguments: [modelID, result.imageID]) ?? false
                if written.insert(result.imageID).inserted {
                    summary.images += 1
                    if replacing { summary.replaced += 1 }
                } else {
                    summary.predictions -= model.classes.count
                }
                if replacing {
                    try deletePredictions.execute(arguments: [modelID, result.imageID])
                    try deleteLabels.execute(arguments: [result.imageID, modelID])
                }
                for (c, className) in model.classes.enumerated() {
                    let probability = result.probabilities[c]
                    insertPrediction.bind(modelID)
                    insertPrediction.bind(result.imageID)
                    insertPrediction.bind(className)
                    insertPrediction.bind(Double(probability))
                    try insertPrediction.step()
                    let present = probability >= model.thresholds[c]
                    insertLabel.bind(result.imageID)
                    insertLabel.bind(className)
                    insertLabel.bind(present ? 1 : 0)
                    insertLabel.bind(modelID)
                    try insertLabel.step()
                    if present { summary.positives += 1 }
                }
                summary.predictions += model.classes.count
            }
            return summary
        }
    }

    /// Deletes a model's labels of one image (image id, model id). The unary + keep SQLite on
    /// the per-image key `labels_of_images`: left to itself it picks `labels_by_model` and scans
    /// all of the model's labels for each image (a rerun over 25,596 images did not finish in
    /// 10 minutes; with the key it takes seconds).
    static let deleteModelLabelsSQL = "DELETE FROM labels WHERE image_id = ? AND +source = 'model' AND +model_id = ?"

    /// The stored image of each file of `paths`, in order: the image whose recorded file is
    /// that path (made absolute and standardized, as imports record them), else the image
    /// named as the file (the NIH "Image Index" is the file name); nil when neither exists.
    public func images(forFiles paths: [String]) throws -> [StoredImageReference?] {
        try queue.read { db in
            let byPath = try db.makeStatement(sql: "SELECT id, name FROM images WHERE path = ? ORDER BY id LIMIT 1")
            let byName = try db.makeStatement(sql: "SELECT id, name FROM images WHERE name = ?")
            return try paths.map { path in
                let url = URL(fileURLWithPath: path).standardizedFileURL
                let row = try Row.fetchOne(byPath, arguments: [url.path])
                    ?? Row.fetchOne(byName, arguments: [url.lastPathComponent])
                return row.map { StoredImageReference(id: $0[0], name: $0[1]) }
            }
        }
    }

    /// The models the database holds, by id, with the number of images each has predictions for.
    public func models() throws -> [StoredModel] {
        try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, name, architecture, checkpoint, content_hash,
                       (SELECT count(DISTINCT image_id) FROM predictions WHERE model_id = models.id)
                FROM models ORDER BY id
                """).map {
                StoredModel(id: $0[0], name: $0[1], architecture: $0[2], path: $0[3], contentHash: $0[4], images: $0[5])
            }
        }
    }
}

/// A registered model as `models()` lists it.
public struct StoredModel: Equatable, Sendable {
    public var id: Int64
    public var name: String
    public var architecture: String?
    /// The model directory it was registered from (last seen).
    public var path: String?
    /// SHA-256 of its weights.
    public var contentHash: String?
    /// Images with stored predictions of this model.
    public var images: Int
}

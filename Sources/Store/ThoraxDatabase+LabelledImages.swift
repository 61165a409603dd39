import GRDB

/// An image of a split part with its file and its 14 labels, as the loader and trainer use it.
public struct LabelledImage: Equatable, Sendable {
    public var id: Int64
    /// The image name (NIH "Image Index").
    public var name: String
    /// The file recorded on disk, nil when none was found.
    public var path: String?
    /// 14 values in `Findings.classes` order: 1 positive, 0 negative, -1 uncertain or unknown.
    public var labels: [Float]
}

extension ThoraxDatabase {
    /// The label sources other than `model:ID` (the schema's `labels.source` values).
    public static let labelSources = ["nih", "labeller", "human"]

    /// The images of `split`'s `part`, ordered by name, with their labels from `source`:
    /// `nih`, `labeller`, `human`, or `model:ID` for the labels model ID's stored predictions gave.
    ///
    /// An image with at least one label row of `source` gets 0 for every class it has no row
    /// for (the NIH release lists positives only, "No Finding" included); an image with none
    /// gets -1 (unknown) for all 14. Throws `notFound` when the split, part or model does not
    /// exist; `invalidRequest` for an unknown source, or `model` without an id (several
    /// models' labels would mix).
    public func labelledImages(split: String, part: String, source: String = "nih") throws -> [LabelledImage] {
        try queue.read { db in
            var modelID: Int64?
            var source = source
            if source == "model" || source.hasPrefix("model:") {
                guard let id = Int64(source.dropFirst("model:".count)), source.hasPrefix("model:") else {
                    throw StoreError.invalidRequest("labels of source 'model' need the model's id: model:ID (thorax db stats lists the models)")
                }
                guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM models WHERE id = ?)", arguments: [id]) ?? false else {
                    throw StoreError.notFound("\(path ?? "the database") has no model with id \(id) (`thorax db stats` lists the models)")
                }
                modelID = id
                source = "model"
            } else if !Self.labelSources.contains(source) {
                throw StoreError.invalidRequest("unknown label source '\(source)': nih, labeller, human or model:ID (thorax db stats lists the models)")
            }
            var images: [LabelledImage] = []
            var labelled: [Bool] = []
            let rows = try Row.fetchCursor(db, sql: """
                SELECT i.id, i.name, i.path, l.class, l.value
                FROM splits s JOIN images i ON i.id = s.image_id
                LEFT JOIN labels l ON l.image_id = i.id AND +l.source = ? AND +l.model_id IS ?
                WHERE s.name = ? AND s.part = ?
                ORDER BY i.name, i.id
                """, arguments: [source, modelID, split, part])
            while let row = try rows.next() {
                let id: Int64 = row[0]
                if images.last?.id != id {
                    images.append(LabelledImage(id: id, name: row[1], path: row[2],
                                                labels: [Float](repeating: -1, count: Findings.classes.count)))
                    labelled.append(false)
                }
                guard let finding: String = row[3] else { continue }
                let last = images.count - 1
                if !labelled[last] {
                    images[last].labels = [Float](repeating: 0, count: Findings.classes.count)
                    labelled[last] = true
                }
                if let index = Findings.index[finding] {
                    images[last].labels[index] = Float(row[4] as Int)
                }
            }
            if images.isEmpty {
                let parts = try String.fetchAll(db, sql: "SELECT DISTINCT part FROM splits WHERE name = ? ORDER BY part",
                                                arguments: [split])
                if parts.isEmpty { throw StoreError.notFound("no split named '\(split)'") }
                if !parts.contains(part) {
                    throw StoreError.notFound("split '\(split)' has no part '\(part)' (it has \(parts.joined(separator: ", ")))")
                }
            }
            return images
        }
    }
}

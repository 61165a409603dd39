import GRDB

/// Two models' stored probabilities on the images both predicted, for the viewer's side-by-side
/// comparison.
public struct ModelComparison: Encodable, Equatable, Sendable {
    /// One image with each model's probability per class (a class a model has no stored row
    /// for is missing from its dictionary).
    public struct ComparedImage: Encodable, Equatable, Sendable {
        public var id: Int64
        public var name: String
        public var first: [String: Double]
        public var second: [String: Double]
    }

    public var firstModelID: Int64
    public var secondModelID: Int64
    /// The classes either model has stored probabilities for, in Thorax order.
    public var classes: [String]
    /// How many images both models predicted.
    public var total: Int
    public var offset: Int
    /// At most `limit` images from `offset`, by image id.
    public var images: [ComparedImage]
}

extension ThoraxDatabase {
    /// Models `first` and `second`'s stored probabilities of the images both have predictions
    /// for: `limit` of them from `offset`, by image id, with the count of all such images.
    ///
    /// - Throws: `StoreError.notFound` naming a model id the database does not hold;
    ///   `StoreError.invalidRequest` for a negative offset or a limit outside 1…500.
    public func modelComparison(first: Int64, second: Int64, offset: Int = 0, limit: Int = 50) throws -> ModelComparison {
        guard offset >= 0, (1...500).contains(limit) else {
            throw StoreError.invalidRequest("a comparison's offset must be at least 0 and its limit from 1 to 500 (got \(offset), \(limit))")
        }
        return try queue.read { db in
            for id in [first, second] {
                guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM models WHERE id = ?)", arguments: [id]) ?? false else {
                    throw StoreError.notFound("no model with id \(id)")
                }
            }
            // predictions_by_image serves the join; one class row per image is enough to
            // know the model predicted it.
            let shared = """
                SELECT DISTINCT a.image_id FROM predictions a
                WHERE a.model_id = ? AND EXISTS (SELECT 1 FROM predictions b WHERE b.model_id = ? AND b.image_id = a.image_id)
                """
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM (\(shared))", arguments: [first, second]) ?? 0
            let rows = try Row.fetchAll(db, sql: """
                SELECT i.id, i.name FROM images i WHERE i.id IN (\(shared)) ORDER BY i.id LIMIT ? OFFSET ?
                """, arguments: [first, second, limit, offset])
            let probabilities = try db.cachedStatement(sql:
                "SELECT model_id, class, probability FROM predictions WHERE image_id = ? AND model_id IN (?, ?)")
            var present: Set<String> = []
            let images = try rows.map { row -> ModelComparison.ComparedImage in
                var image = ModelComparison.ComparedImage(id: row[0], name: row[1], first: [:], second: [:])
                for prediction in try Row.fetchAll(probabilities, arguments: [image.id, first, second]) {
                    let model: Int64 = prediction[0], className: String = prediction[1], value: Double = prediction[2]
                    if model == first { image.first[className] = value }
                    if model == second { image.second[className] = value }
                    present.insert(className)
                }
                return image
            }
            let classes = try String.fetchAll(db, sql: "SELECT name FROM classes ORDER BY position").filter(present.contains)
            return ModelComparison(firstModelID: first, secondModelID: second, classes: classes, total: total,
                                   offset: offset, images: images)
        }
    }
}

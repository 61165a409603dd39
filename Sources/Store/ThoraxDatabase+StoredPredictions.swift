import GRDB

/// A model's stored probabilities, as `storePredictions` wrote them.
public struct StoredPredictions: Equatable, Sendable {
    /// The model's classes in its output order.
    public var classes: [String]
    /// Probabilities per image id, in `classes` order (NaN for a class with no stored row).
    public var probabilities: [Int64: [Float]]
}

extension ThoraxDatabase {
    /// Model `modelID`'s stored probabilities of the images in `imageIDs` that have any (a
    /// cross-validated run's out-of-fold predictions, for `thorax eval --stored`).
    /// - Throws: `StoreError.notFound` for a model the database does not hold.
    public func storedPredictions(modelID: Int64, imageIDs: [Int64]) throws -> StoredPredictions {
        try queue.read { db in
            guard let classList = try String.fetchOne(db, sql: "SELECT ifnull(classes, '') FROM models WHERE id = ?",
                                                      arguments: [modelID]) else {
                throw StoreError.notFound("\(path ?? "the database") has no model with id \(modelID) (`thorax db stats` lists the models)")
            }
            let classes = classList.split(separator: "|").map(String.init)
            let column = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
            let statement = try db.cachedStatement(sql: "SELECT class, probability FROM predictions WHERE model_id = ? AND image_id = ?")
            var result: [Int64: [Float]] = [:]
            for id in imageIDs where result[id] == nil {
                let rows = try Row.fetchAll(statement, arguments: [modelID, id])
                guard !rows.isEmpty else { continue }
                var values = [Float](repeating: .nan, count: classes.count)
                for row in rows { if let c = column[row[0] as String] { values[c] = Float(row[1] as Double) } }
                result[id] = values
            }
            return StoredPredictions(classes: classes, probabilities: result)
        }
    }
}

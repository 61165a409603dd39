import GRDB

extension ThoraxDatabase {
    /// The patient identifier (as the source gives it, NIH's "Patient ID") of each image in
    /// `imageIDs`, for grouping images by patient (cross-validation folds).
    /// - Throws: `StoreError.notFound` naming the first image the database does not hold or
    ///   that has no patient.
    public func patientIdentifiers(ofImages imageIDs: [Int64]) throws -> [Int64: String] {
        try queue.read { db in
            var result: [Int64: String] = [:]
            let statement = try db.cachedStatement(sql: """
                SELECT p.identifier FROM images i JOIN patients p ON p.id = i.patient_id WHERE i.id = ?
                """)
            for id in imageIDs where result[id] == nil {
                guard let identifier = try String.fetchOne(statement, arguments: [id]) else {
                    throw StoreError.notFound("image \(id) is not in \(path ?? "the database") or has no patient")
                }
                result[id] = identifier
            }
            return result
        }
    }
}

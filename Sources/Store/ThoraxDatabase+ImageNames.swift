import GRDB

extension ThoraxDatabase {
    /// Which of `names` the database holds an image of (an image's name: the NIH Image Index,
    /// a DICOM image's SOP Instance UID): what a resumable import skips.
    public func imageNames(among names: [String]) throws -> Set<String> {
        try queue.read { db in
            let statement = try db.makeStatement(sql: "SELECT 1 FROM images WHERE name = ?")
            return Set(try names.filter { try Bool.fetchOne(statement, arguments: [$0]) ?? false })
        }
    }
}

extension ThoraxDatabase {
    /// The id of the image named `name`, or nil.
    public func imageID(named name: String) throws -> Int64? {
        try queue.read { db in try Int64.fetchOne(db, sql: "SELECT id FROM images WHERE name = ?", arguments: [name]) }
    }
}

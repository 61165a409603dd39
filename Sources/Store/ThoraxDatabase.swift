import Foundation
import GRDB

/// The Thorax database: one SQLite file (default `thorax.sqlite`) holding patients, studies,
/// images, reports, labels, splits, boxes, models and predictions.
///
/// Opening a file creates it when absent and brings its schema to the latest version through
/// the migrations in `ThoraxDatabase+Migrations.swift`; opening an older file upgrades it in
/// place. All writes of one import run in one transaction, so a failed import leaves the
/// database exactly as it was.
public final class ThoraxDatabase: @unchecked Sendable {
    /// The default file name used by the command line.
    public static let defaultFileName = "thorax.sqlite"

    /// The GRDB connection queue (one serialized connection).
    public let queue: DatabaseQueue

    /// The file path, or nil for an in-memory database.
    public let path: String?

    /// Opens (creating if needed) the database file at `path` and migrates it.
    ///
    /// Throws `StoreError.cannotOpen` naming the file when SQLite cannot open it, or when it is
    /// not a database.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            // Bulk imports write hundreds of thousands of rows in one transaction; a larger page
            // cache keeps index pages in memory while they do.
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(queue)
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: error.message ?? "\(error)")
        }
        self.path = path
    }

    /// An empty, migrated in-memory database (tests, dry runs).
    public init() throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        queue = try DatabaseQueue(configuration: configuration)
        try Self.migrator.migrate(queue)
        path = nil
    }

    /// Names of the migrations applied to this database, oldest first.
    public func appliedMigrations() throws -> [String] {
        try queue.read { db in try Self.migrator.appliedMigrations(db) }
    }
}

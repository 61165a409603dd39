import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// The Thorax database: one SQLite file (default `thorax.sqlite`) holding patients, studies,
/// images, reports, labels, splits, boxes, models and predictions.
///
/// There are two ways to open a file, and they differ in what they may do to it:
/// - `init(existingAt:access:)` opens a database that must already exist (every command that
///   reads or updates one); it never creates a file.
/// - `init(path:)` also creates the file when absent (the importers, and `thorax demo` for its
///   own output).
///
/// Both first check what the file is (`inspect(_:)`): a directory, a file that is not SQLite,
/// an SQLite database without Thorax's tables, or a database of a newer Thorax (migrations this
/// one does not know) is refused by name and left exactly as it is. A database of an older
/// Thorax is brought to the latest schema in place by the migrations in
/// `ThoraxDatabase+Migrations.swift`. All writes of one import run in one transaction, so a
/// failed import leaves the database exactly as it was.
public final class ThoraxDatabase: Sendable {
    /// The default file name used by the command line.
    public static let defaultFileName = "thorax.sqlite"

    /// The commands that create a database, as error messages name them.
    public static let creatingCommands = "`thorax db import-nih`, `thorax db import-dicom` or `thorax db import-reports`"

    /// The GRDB connection queue (one serialized connection). Internal: every SQL statement of
    /// Thorax lives in this module.
    let queue: DatabaseQueue

    /// The file path, or nil for an in-memory database.
    public let path: String?

    /// What a command does with an existing database.
    public enum Access: Sendable {
        /// Only reads: the connection is read-only, so the file cannot change.
        case read
        /// Reads and writes (splits, stored predictions).
        case update
    }

    /// What `inspect(_:)` found at a path that a Thorax database may be opened from.
    public enum FileState: Equatable, Sendable {
        /// Nothing at the path.
        case absent
        /// A file with nothing in it yet: an empty file, or an SQLite database without tables.
        /// Only `init(path:)` makes a database of it.
        case empty(String)
        /// A Thorax database whose schema lacks `missingMigrations` of this Thorax's.
        case older(missingMigrations: Int)
        /// A Thorax database with this Thorax's schema.
        case current
    }

    /// Opens the existing Thorax database at `path`, upgrading an older schema in place, and
    /// never creating a file.
    ///
    /// With `.read` the connection is read-only (after any upgrade), so the command cannot
    /// change the file; with `.update` the file and its folder must be writable (SQLite writes
    /// a journal beside the file).
    ///
    /// Throws (each naming `path`): `StoreError.noDatabase` when nothing is there;
    /// `notThoraxDatabase` for a directory, an empty file, a file that is not SQLite or an
    /// SQLite database without Thorax's tables; `newerSchema` for a database of a newer
    /// Thorax; `cannotOpen` when the file cannot be read (or, for `.update`, written) or SQLite
    /// fails.
    public init(existingAt path: String, access: Access = .read) throws {
        switch try Self.inspect(path) {
        case .absent:
            throw StoreError.noDatabase(path: path)
        case .empty(let what):
            throw StoreError.notThoraxDatabase(path: path, reason: what)
        case .older:
            try Self.requireWritable(path)
            try Self.migrate(try Self.openQueue(path, readOnly: false), path: path)
        case .current:
            if access == .update { try Self.requireWritable(path) }
        }
        queue = try Self.openQueue(path, readOnly: access == .read)
        self.path = path
    }

    /// Opens the Thorax database at `path`, creating it (and its schema) when absent, and
    /// brings its schema to the latest version. Only commands that build a database (the
    /// importers, `thorax demo` for its own output) use this; every other one uses
    /// `init(existingAt:access:)`.
    ///
    /// An empty file, or an SQLite database with no tables, becomes a Thorax database; any
    /// other file is refused as `init(existingAt:)` refuses it. Throws `cannotCreate` naming
    /// the path when its folder does not exist or is not writable, and `cannotOpen` when
    /// SQLite cannot open or migrate the file.
    public init(path: String) throws {
        try Self.checkOpenableOrCreatable(path)
        queue = try Self.openQueue(path, readOnly: false)
        try Self.migrate(queue, path: path)
        self.path = path
    }

    /// Checks that `init(path:)` can open or create a database at `path`, changing nothing:
    /// what `inspect(_:)` throws, and `cannotCreate` naming the path when nothing is there and
    /// its folder does not exist or is not writable, `cannotOpen` when the file or its folder
    /// is not writable.
    public static func checkOpenableOrCreatable(_ path: String) throws {
        guard case .absent = try inspect(path) else {
            try requireWritable(path)
            return
        }
        let folder = folderPart(of: path)
        let folderPath = folder.isEmpty ? "." : folder
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folderPath, isDirectory: &isDirectory) else {
            throw StoreError.cannotCreate(path: path, reason: "no folder \(folderPath)")
        }
        guard isDirectory.boolValue else {
            throw StoreError.cannotCreate(path: path, reason: "\(folderPath) is not a folder")
        }
        guard FileManager.default.isWritableFile(atPath: folderPath) else {
            throw StoreError.cannotCreate(path: path, reason: "the folder \(folderPath) is not writable")
        }
    }

    /// An empty, migrated in-memory database (tests, dry runs).
    public init() throws {
        queue = try DatabaseQueue(configuration: Self.configuration(readOnly: false))
        try Self.migrator.migrate(queue)
        path = nil
    }

    /// Names of the migrations applied to this database, oldest first.
    public func appliedMigrations() throws -> [String] {
        try queue.read { db in try Self.migrator.appliedMigrations(db) }
    }

    /// What is at `path`, as far as opening a Thorax database there goes; reads the file
    /// (read-only) and changes nothing.
    ///
    /// Throws (each naming `path`): `notThoraxDatabase` for a directory or other non-file, a
    /// file that is not SQLite, or an SQLite database with tables but not Thorax's;
    /// `newerSchema` for a Thorax database with migrations this Thorax does not know;
    /// `cannotOpen` when the file cannot be read or SQLite fails on it.
    public static func inspect(_ path: String) throws -> FileState {
        var status = stat()
        // stat follows links: a link is what it points to, a dangling one is absent.
        guard stat(path, &status) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return .absent }
            throw StoreError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw StoreError.notThoraxDatabase(path: path, reason: "a directory, not a database file")
        default: throw StoreError.notThoraxDatabase(path: path, reason: "not a regular file")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StoreError.cannotOpen(path: path, reason: "the file is not readable")
        }
        let header = handle.readData(ofLength: 16)
        try? handle.close()
        if header.isEmpty { return .empty("an empty file") }
        guard header == Data("SQLite format 3\0".utf8) else {
            throw StoreError.notThoraxDatabase(path: path, reason: "not an SQLite file")
        }
        do {
            let queue = try openQueue(path, readOnly: true)
            return try queue.read { db -> FileState in
                let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
                if tables == 0 { return .empty("an SQLite database without tables") }
                let applied = try migrator.appliedIdentifiers(db)
                guard let first = migrator.migrations.first, applied.contains(first) else {
                    throw StoreError.notThoraxDatabase(path: path, reason: "an SQLite database without Thorax's tables")
                }
                let unknown = applied.subtracting(migrator.migrations).sorted()
                if !unknown.isEmpty { throw StoreError.newerSchema(path: path, unknownMigrations: unknown) }
                let missing = migrator.migrations.count - applied.count
                return missing == 0 ? .current : .older(missingMigrations: missing)
            }
        } catch let error as DatabaseError {
            if error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT {
                throw StoreError.notThoraxDatabase(path: path, reason: "a damaged SQLite file: \(error.message ?? "\(error)")")
            }
            throw StoreError.cannotOpen(path: path, reason: error.message ?? "\(error)")
        }
    }

    /// The connection settings: foreign keys on, a larger page cache, read-only when asked.
    private static func configuration(readOnly: Bool) -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.readonly = readOnly
        configuration.prepareDatabase { db in
            // Bulk imports write hundreds of thousands of rows in one transaction; a larger page
            // cache keeps index pages in memory while they do.
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        return configuration
    }

    /// A connection to `path`. Throws `cannotOpen` naming it when SQLite fails.
    private static func openQueue(_ path: String, readOnly: Bool) throws -> DatabaseQueue {
        do {
            return try DatabaseQueue(path: path, configuration: configuration(readOnly: readOnly))
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: error.message ?? "\(error)")
        }
    }

    /// Applies the migrations `queue`'s database lacks. Throws `cannotOpen` naming `path`.
    private static func migrate(_ queue: DatabaseQueue, path: String) throws {
        do {
            try migrator.migrate(queue)
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: error.message ?? "\(error)")
        }
    }

    /// Throws `cannotOpen` naming `path` unless the file and its folder (where SQLite writes
    /// its journal) are writable.
    private static func requireWritable(_ path: String) throws {
        guard FileManager.default.isWritableFile(atPath: path) else {
            throw StoreError.cannotOpen(path: path, reason: "the file is not writable")
        }
        let folder = folderPart(of: path)
        guard FileManager.default.isWritableFile(atPath: folder.isEmpty ? "." : folder) else {
            throw StoreError.cannotOpen(path: path, reason: "its folder is not writable (SQLite writes a journal beside the file)")
        }
    }
}

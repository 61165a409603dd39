import Foundation

/// What can go wrong in the database layer, each case naming the file (and line) at fault.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// SQLite could not open or migrate the database file, or the file is not readable (or,
    /// to be updated, writable).
    case cannotOpen(path: String, reason: String)
    /// No database file at `path`: commands that read or update a database never create one.
    case noDatabase(path: String)
    /// The file at `path` is not a Thorax database; `reason` says what it is. It is left alone.
    case notThoraxDatabase(path: String, reason: String)
    /// The database at `path` was made by a newer Thorax: it records these migrations, which
    /// this one does not know. It is left alone.
    case newerSchema(path: String, unknownMigrations: [String])
    /// A new database file cannot be made at `path` (no such folder, not writable).
    case cannotCreate(path: String, reason: String)
    /// An input file could not be read at all.
    case cannotRead(file: String, reason: String)
    /// A line of an input file is malformed; `line` counts from 1.
    case badLine(file: String, line: Int, reason: String)
    /// A request names something the database does not hold (a split, a part, a model).
    case notFound(String)
    /// A request is inconsistent (ratios that do not add up, an existing split name).
    case invalidRequest(String)
    /// A stored split sends patients to more than one part (`patients` counts them; who they
    /// are is never put in a message).
    case splitNotDisjoint(split: String, patients: Int)
    /// An output file could not be written.
    case cannotWrite(file: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "\(path): cannot open the database: \(reason)"
        case let .noDatabase(path):
            return "\(path): no such database file (\(ThoraxDatabase.creatingCommands) creates one)"
        case let .notThoraxDatabase(path, reason):
            return "\(path): not a Thorax database (\(reason))"
        case let .newerSchema(path, unknown):
            return "\(path): a database of a newer thorax (its schema has \(unknown.count) change"
                + (unknown.count == 1 ? "" : "s") + " this thorax does not know, first '\(unknown.first ?? "?")'); "
                + "it is left as it is: open it with that thorax"
        case let .cannotCreate(path, reason): return "\(path): cannot create the database: \(reason)"
        case let .cannotRead(file, reason): return "\(file): cannot read: \(reason)"
        case let .badLine(file, line, reason): return "\(file):\(line): \(reason)"
        case let .notFound(what): return what
        case let .invalidRequest(what): return what
        case let .splitNotDisjoint(split, patients):
            return "split '\(split)' puts \(patients) patient\(patients == 1 ? "" : "s") in more than one part"
        case let .cannotWrite(file, reason): return "\(file): cannot write: \(reason)"
        }
    }
}

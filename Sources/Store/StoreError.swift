import Foundation

/// What can go wrong in the database layer, each case naming the file (and line) at fault.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// SQLite could not open or migrate the database file.
    case cannotOpen(path: String, reason: String)
    /// An input file could not be read at all.
    case cannotRead(file: String, reason: String)
    /// A line of an input file is malformed; `line` counts from 1.
    case badLine(file: String, line: Int, reason: String)
    /// A request names something the database does not hold (a split, a part, a model).
    case notFound(String)
    /// A request is inconsistent (ratios that do not add up, an existing split name).
    case invalidRequest(String)
    /// A stored split sends one patient to two parts (`patients` lists a few of them).
    case splitNotDisjoint(split: String, patients: [String])
    /// An output file could not be written.
    case cannotWrite(file: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "\(path): cannot open the database: \(reason)"
        case let .cannotRead(file, reason): return "\(file): cannot read: \(reason)"
        case let .badLine(file, line, reason): return "\(file):\(line): \(reason)"
        case let .notFound(what): return what
        case let .invalidRequest(what): return what
        case let .splitNotDisjoint(split, patients):
            return "split '\(split)' puts patients in more than one part: "
                + patients.joined(separator: ", ")
        case let .cannotWrite(file, reason): return "\(file): cannot write: \(reason)"
        }
    }
}

import GRDB
import GRDBSQLite

/// A prepared GRDB statement driven through SQLite's C API for bulk imports: bind, step,
/// reset, with no per-row Swift allocation.
///
/// GRDB's `execute(arguments:)` boxes every argument in an existential and checks the
/// database's state per call — a third of the NIH import's time for 400,000 rows. This type
/// keeps GRDB for preparing, transactions and errors, and binds and steps directly. Use it
/// only inside a GRDB write transaction, on that transaction's `Database`.
struct BulkStatement {
    private let statement: Statement
    private let handle: OpaquePointer
    private let connection: OpaquePointer?
    private var index: Int32 = 0

    /// SQLite copies text bound with this destructor before `bind` returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ db: Database, sql: String) throws {
        statement = try db.makeStatement(sql: sql)
        handle = statement.sqliteStatement
        connection = db.sqliteConnection
    }

    /// Binds the next parameter (the first after each `step`).
    mutating func bind(_ value: Int64) {
        index += 1
        sqlite3_bind_int64(handle, index, value)
    }

    mutating func bind(_ value: Int) { bind(Int64(value)) }

    mutating func bind(_ value: Double) {
        index += 1
        sqlite3_bind_double(handle, index, value)
    }

    mutating func bind(_ value: String) {
        index += 1
        var text = value
        text.withUTF8 { bytes in
            _ = bytes.withMemoryRebound(to: CChar.self) { characters in
                sqlite3_bind_text(handle, index, characters.baseAddress, Int32(characters.count), Self.transient)
            }
        }
    }

    mutating func bind(_ value: (some BindableValue)?) {
        if let value { value.bind(to: &self) } else { index += 1; sqlite3_bind_null(handle, index) }
    }

    /// Runs the statement with the bound parameters and resets it for the next row. Throws
    /// GRDB's `DatabaseError` (with SQLite's message and the SQL) when SQLite refuses the row.
    mutating func step() throws {
        index = 0
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard code == SQLITE_DONE || code == SQLITE_ROW else {
            let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
    }
}

/// A value `BulkStatement` binds, so optional columns bind NULL.
protocol BindableValue {
    func bind(to statement: inout BulkStatement)
}

extension Int: BindableValue { func bind(to statement: inout BulkStatement) { statement.bind(self) } }
extension Int64: BindableValue { func bind(to statement: inout BulkStatement) { statement.bind(self) } }
extension Double: BindableValue { func bind(to statement: inout BulkStatement) { statement.bind(self) } }
extension String: BindableValue { func bind(to statement: inout BulkStatement) { statement.bind(self) } }

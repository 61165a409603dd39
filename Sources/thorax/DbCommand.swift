import ArgumentParser
import Foundation
import Store

/// `thorax db`: the chest X-ray database (import, split, statistics, export).
struct DbCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Build and query the chest X-ray database (SQLite).",
        discussion: """
        Example:
          thorax db import-nih --data-entry Data_Entry_2017_v2020.csv --bbox BBox_List_2017.csv \\
              --train-val-list train_val_list.txt --test-list test_list.txt --images images
          thorax db stats --json
        """,
        subcommands: [
            DbImportNIHCommand.self, DbImportDICOMCommand.self, DbImportDICOMwebCommand.self, DbImportReportsCommand.self, DbSplitCommand.self, DbStatsCommand.self, DbExportCommand.self,
            DbBenchLoaderCommand.self,
        ]
    )
}

/// The `--database` option of the `db` subcommands that read or update a database: it must
/// exist (`ThoraxDatabase(existingAt:access:)`); they never create one.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "The database file (it must exist: db import-nih, import-dicom or import-reports makes one).")
    var database: String = ThoraxDatabase.defaultFileName

    /// The existing database, for reading only or for updating.
    /// - Throws: `StoreError` naming the file when it is missing, not a Thorax database, of a
    ///   newer thorax, or cannot be opened (for `.update`, written).
    func open(_ access: ThoraxDatabase.Access) throws -> ThoraxDatabase {
        try ThoraxDatabase(existingAt: database, access: access)
    }
}

/// The `--database` option of the `db import-*` subcommands, which create the database when
/// it is absent.
struct ImportDatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "The database file (created when absent).")
    var database: String = ThoraxDatabase.defaultFileName

    /// Checks, before any input is read, that the database can be opened or created: throws
    /// `StoreError` naming the file when it is not a Thorax database, is of a newer thorax, or
    /// cannot be created there (no such folder). Changes nothing.
    func check() throws {
        try ThoraxDatabase.checkOpenableOrCreatable(database)
    }

    /// Runs `body` on the database, created (empty, with the schema) when absent. A database
    /// this call created is removed again when `body` throws, so a failed first import leaves
    /// no file behind (an existing one is left as the import's transaction left it).
    func importing<T>(_ body: (ThoraxDatabase) throws -> T) throws -> T {
        let created = try ThoraxDatabase.inspect(database) == .absent
        do {
            return try body(try ThoraxDatabase(path: database))
        } catch {
            if created {
                for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
            }
            throw error
        }
    }
}

/// Writes `text` and a newline to standard error (warnings; standard output stays for results).
func printWarning(_ text: String) {
    FileHandle.standardError.write(Data(("warning: " + text + "\n").utf8))
}

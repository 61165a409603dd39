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
            DbImportNIHCommand.self, DbImportDICOMCommand.self, DbImportReportsCommand.self, DbSplitCommand.self, DbStatsCommand.self, DbExportCommand.self,
            DbBenchLoaderCommand.self,
        ]
    )
}

/// The `--database` option shared by every `db` subcommand.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "The database file (created when absent).")
    var database: String = ThoraxDatabase.defaultFileName

    func open() throws -> ThoraxDatabase { try ThoraxDatabase(path: database) }
}

/// Writes `text` and a newline to standard error (warnings; standard output stays for results).
func printWarning(_ text: String) {
    FileHandle.standardError.write(Data(("warning: " + text + "\n").utf8))
}

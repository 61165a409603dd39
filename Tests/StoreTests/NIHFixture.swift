import Foundation
import GRDB
import TestSupport
@testable import Store

/// The committed 22-image NIH excerpt (Fixtures/nih-small) and helpers around it.
enum NIHFixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/nih-small")
    static let dataEntry = directory.appendingPathComponent("Data_Entry.csv")
    static let boxes = directory.appendingPathComponent("BBox_List.csv")
    static let trainValidation = directory.appendingPathComponent("train_val_list.txt")
    static let test = directory.appendingPathComponent("test_list.txt")
    static let images = directory.appendingPathComponent("images")

    static func read() throws -> NIHRelease {
        try NIHRelease.read(dataEntry: dataEntry, boxes: boxes, trainValidationList: trainValidation, testList: test)
    }

    /// A copy of the four files in `directory`, with `edit` applied to the named file's text.
    static func copy(to directory: URL, editing file: String? = nil, _ edit: (String) -> String = { $0 }) throws -> [URL] {
        try [dataEntry, boxes, trainValidation, test].map { source in
            var text = try String(contentsOf: source, encoding: .utf8)
            if source.lastPathComponent == file { text = edit(text) }
            let target = directory.appendingPathComponent(source.lastPathComponent)
            try text.write(to: target, atomically: true, encoding: .utf8)
            return target
        }
    }

    static func read(_ files: [URL]) throws -> NIHRelease {
        try NIHRelease.read(dataEntry: files[0], boxes: files[1], trainValidationList: files[2], testList: files[3])
    }
}

/// Every row of every table, in a fixed order: two equal dumps mean an unchanged database.
func dumpTables(_ database: ThoraxDatabase) throws -> [String: [Row]] {
    try database.queue.read { db in
        let tables = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%'
            """)
        var dump: [String: [Row]] = [:]
        for table in tables {
            let columns = try db.columns(in: table).map(\.name)
            let order = columns.map { "\"\($0)\"" }.joined(separator: ", ")
            dump[table] = try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\" ORDER BY \(order)")
        }
        return dump
    }
}

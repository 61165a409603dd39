import Foundation
import TestSupport
import XCTest
@testable import Store

/// Rows of a Data_Entry text with the labels put in Thorax class order and the rows sorted by
/// name: how an export of the same images must read.
func normalizedDataEntryRows(_ text: String, keeping names: Set<String>? = nil) -> [String] {
    let order = Dictionary(uniqueKeysWithValues: Findings.classes.enumerated().map { ($1, $0) })
    return text.split(separator: "\n").dropFirst().compactMap { line -> String? in
        var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if let names, !names.contains(fields[0]) { return nil }
        fields[1] = fields[1].split(separator: "|").map(String.init)
            .sorted { order[$0, default: -1] < order[$1, default: -1] }.joined(separator: "|")
        return fields.joined(separator: ",")
    }.sorted()
}

final class ExportTests: XCTestCase {
    func testExportOfAllImagesReproducesDataEntryRows() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try ThoraxDatabase()
        try database.importNIH(try NIHFixture.read())
        let output = directory.appendingPathComponent("export.csv")
        XCTAssertEqual(try database.exportDataEntry(split: nil, part: nil, to: output), 22)
        let original = try String(contentsOf: NIHFixture.dataEntry, encoding: .utf8)
        let exported = try String(contentsOf: output, encoding: .utf8)
        XCTAssertEqual(exported.split(separator: "\n").first.map(String.init), original.split(separator: "\n").first.map(String.init))
        XCTAssertEqual(Array(exported.split(separator: "\n").dropFirst()).map(String.init), normalizedDataEntryRows(original))
        XCTAssertTrue(exported.contains("\n00000003_003.png,Infiltration|Hernia,2,3,76,F,PA,2698,2991,0.14300000000000002,0.14300000000000002\n"))
    }

    func testExportOfSplitPartAndErrors() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try ThoraxDatabase()
        try database.importNIH(try NIHFixture.read())
        let output = directory.appendingPathComponent("train_val.csv")
        XCTAssertEqual(try database.exportDataEntry(split: "official", part: "train_val", to: output), 4)
        let original = try String(contentsOf: NIHFixture.dataEntry, encoding: .utf8)
        XCTAssertEqual(Array(try String(contentsOf: output, encoding: .utf8).split(separator: "\n").dropFirst()).map(String.init),
                       normalizedDataEntryRows(original, keeping: Set(try NIHFixture.read().trainValidation)))
        XCTAssertThrowsError(try database.exportDataEntry(split: "official", part: "val", to: output)) { error in
            XCTAssertEqual("\(error)", "split 'official' has no part 'val' (it has test, train_val)")
        }
        XCTAssertThrowsError(try database.exportDataEntry(split: "mine", part: nil, to: output)) { error in
            XCTAssertEqual("\(error)", "no split named 'mine'")
        }
        let unwritable = URL(fileURLWithPath: "/nonexistent/out.csv")
        XCTAssertThrowsError(try database.exportDataEntry(split: nil, part: nil, to: unwritable)) { error in
            guard case let StoreError.cannotWrite(file, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, unwritable.path)
        }
    }
}

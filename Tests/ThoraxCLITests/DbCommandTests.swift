import Foundation
import TestSupport
import XCTest

/// What a run of the `thorax` binary printed and returned.
struct ThoraxOutput {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

/// The `thorax` binary built next to the tests.
func thoraxExecutable() throws -> URL {
    // The products directory holds the test bundle (macOS) or the test executable (Linux).
    let candidates = [
        Bundle(for: DbCommandTests.self).bundleURL.deletingLastPathComponent(),
        Bundle.main.bundleURL,
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
    ].map { $0.appendingPathComponent("thorax") }
    guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw FixtureError("thorax is not built next to the tests (looked at \(candidates.map(\.path)))")
    }
    return binary
}

/// Runs the `thorax` binary built next to the tests, in `directory`.
func runThorax(_ arguments: [String], in directory: URL) throws -> ThoraxOutput {
    let binary = try thoraxExecutable()
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = directory
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ThoraxOutput(status: process.terminationStatus,
                        standardOutput: String(decoding: outData, as: UTF8.self),
                        standardError: String(decoding: errData, as: UTF8.self))
}

/// Exact-output tests of `thorax db …`, running the built binary on the committed NIH excerpt.
final class DbCommandTests: XCTestCase {
    private let fixture = SharedData.repositoryRoot.appendingPathComponent("Tests/StoreTests/Fixtures/nih-small")
    private var directory: URL!
    private var database: String { directory.appendingPathComponent("thorax.sqlite").path }

    override func setUpWithError() throws {
        directory = try SharedData.temporaryDirectory("thorax-db-cli")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func thorax(_ arguments: [String]) throws -> ThoraxOutput {
        try runThorax(arguments, in: directory)
    }

    private func importArguments(dataEntry: String? = nil) -> [String] {
        ["db", "import-nih", "--database", database,
         "--data-entry", dataEntry ?? fixture.appendingPathComponent("Data_Entry.csv").path,
         "--bbox", fixture.appendingPathComponent("BBox_List.csv").path,
         "--train-val-list", fixture.appendingPathComponent("train_val_list.txt").path,
         "--test-list", fixture.appendingPathComponent("test_list.txt").path,
         "--images", fixture.appendingPathComponent("images").path]
    }

    func testImportTwiceThenStats() throws {
        let first = try thorax(importArguments())
        XCTAssertEqual(first.status, 0, first.standardError)
        XCTAssertEqual(first.standardOutput, """
            read 22 images, 4 boxes, 4 train_val and 18 test names
            added 5 patients, 22 studies, 22 images, 27 labels, 4 boxes; updated 0 images, 2 files; removed 0 labels, 0 boxes; 22 split changes
            found 2 of the images on disk

            """)
        let second = try thorax(importArguments())
        XCTAssertEqual(second.status, 0, second.standardError)
        XCTAssertEqual(second.standardOutput, """
            read 22 images, 4 boxes, 4 train_val and 18 test names
            no changes: the database already holds these files
            found 2 of the images on disk

            """)
        let stats = try thorax(["db", "stats", "--json", "--database", database])
        XCTAssertEqual(stats.status, 0, stats.standardError)
        let labels = #"{"Atelectasis":7,"Cardiomegaly":3,"Consolidation":1,"Effusion":1,"Emphysema":1,"Hernia":3,"Infiltration":3,"No Finding":5,"Pneumothorax":3}"#
        XCTAssertEqual(stats.standardOutput, #"{"boxes":4,"boxes_by_class":{"Atelectasis":3,"Infiltration":1},"images":22,"images_on_disk":2,"#
            + #""labels":\#(labels),"labels_by_source":{"nih":\#(labels)},"models":0,"patients":5,"predictions":0,"reports":0,"#
            + #""splits":{"official":{"test":18,"train_val":4}},"studies":22}"# + "\n")
    }

    func testStatsText() throws {
        XCTAssertEqual(try thorax(importArguments()).status, 0)
        let stats = try thorax(["db", "stats", "--database", database])
        XCTAssertEqual(stats.standardOutput, """
            images: 22 (2 on disk)
            patients: 5
            studies: 22
            reports: 0
            boxes: 4
            models: 0, predictions: 0
            positive labels:
              Atelectasis: 7 (nih 7)
              Cardiomegaly: 3 (nih 3)
              Effusion: 1 (nih 1)
              Infiltration: 3 (nih 3)
              Mass: 0
              Nodule: 0
              Pneumonia: 0
              Pneumothorax: 3 (nih 3)
              Consolidation: 1 (nih 1)
              Edema: 0
              Emphysema: 1 (nih 1)
              Fibrosis: 0
              Pleural_Thickening: 0
              Hernia: 3 (nih 3)
              No Finding: 5 (nih 5)
            splits:
              official: test 18, train_val 4

            """)
    }

    func testSplitAndExport() throws {
        XCTAssertEqual(try thorax(importArguments()).status, 0)
        let split = try thorax(["db", "split", "--database", database, "--ratios", "50,50", "--seed", "3",
                                "--name", "halves", "--within", "official:test"])
        XCTAssertEqual(split.status, 0, split.standardError)
        XCTAssertTrue(split.standardOutput.hasPrefix("split 'halves': train "), split.standardOutput)
        XCTAssertTrue(split.standardOutput.hasSuffix("\nno patient is in two parts\n"), split.standardOutput)
        let again = try thorax(["db", "split", "--database", database, "--ratios", "50,50", "--name", "halves"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertEqual(again.standardError, "Error: a split named 'halves' exists already (use --replace)\n")

        let output = directory.appendingPathComponent("train_val.csv").path
        let export = try thorax(["db", "export", "--database", database, "--split", "official",
                                 "--part", "train_val", "--output", output])
        XCTAssertEqual(export.status, 0, export.standardError)
        XCTAssertEqual(export.standardOutput, "wrote 4 images to \(output)\n")
        XCTAssertEqual(try String(contentsOfFile: output, encoding: .utf8), """
            Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]
            00000001_000.png,Cardiomegaly,0,1,57,M,PA,2682,2749,0.14300000000000002,0.14300000000000002
            00000001_001.png,Cardiomegaly|Emphysema,1,1,58,M,PA,2894,2729,0.14300000000000002,0.14300000000000002
            00000001_002.png,Cardiomegaly|Effusion,2,1,58,M,PA,2500,2048,0.168,0.168
            00000002_000.png,No Finding,0,2,80,M,PA,2500,2048,0.171,0.171

            """)
    }

    func testBrokenFileNamesFileAndLineAndChangesNothing() throws {
        XCTAssertEqual(try thorax(importArguments()).status, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: database))
        let broken = directory.appendingPathComponent("Data_Entry.csv")
        try String(contentsOf: fixture.appendingPathComponent("Data_Entry.csv"), encoding: .utf8)
            .replacingOccurrences(of: "00000865_005.png,No Finding,", with: "00000865_005.png,No Findings,")
            .write(to: broken, atomically: true, encoding: .utf8)
        let result = try thorax(importArguments(dataEntry: broken.path))
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.standardOutput, "")
        XCTAssertEqual(result.standardError, "Error: \(broken.path):14: Finding Labels: unknown class \"No Findings\"\n")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: database)), before)
    }

    func testHelpShowsExamples() throws {
        for command in ["import-nih", "import-reports", "split", "stats", "export", "bench-loader"] {
            let help = try thorax(["db", command, "--help"])
            XCTAssertEqual(help.status, 0)
            XCTAssertTrue(help.standardOutput.contains("Example:\n  thorax db \(command)"), command)
        }
    }
}

/// `thorax db import-reports` on the 50 bundled OpenI reports.
final class DbImportReportsCommandTests: XCTestCase {
    func testImportTwice() throws {
        let directory = try SharedData.temporaryDirectory("thorax-db-reports")
        defer { try? FileManager.default.removeItem(at: directory) }
        let samples = SharedData.repositoryRoot.appendingPathComponent("Samples/openi/reports").path
        let database = directory.appendingPathComponent("thorax.sqlite").path
        let first = try runThorax(["db", "import-reports", "--database", database, samples], in: directory)
        XCTAssertEqual(first.status, 0, first.standardError)
        XCTAssertTrue(first.standardOutput.hasPrefix("read 50 reports: added 50, updated 0, unchanged 0; wrote "),
                      first.standardOutput)
        let second = try runThorax(["db", "import-reports", "--database", database, samples], in: directory)
        XCTAssertEqual(second.standardOutput, "read 50 reports: added 0, updated 0, unchanged 50; wrote 0 labels\n")
        let broken = directory.appendingPathComponent("broken.xml")
        try "<eCitation>".write(to: broken, atomically: true, encoding: .utf8)
        let third = try runThorax(["db", "import-reports", "--database", database, samples, broken.path], in: directory)
        XCTAssertEqual(third.status, 1)
        XCTAssertEqual(third.standardOutput, "read 50 reports: added 0, updated 0, unchanged 50; wrote 0 labels\n")
        XCTAssertTrue(third.standardError.hasPrefix("error: \(broken.path)"), third.standardError)
        XCTAssertTrue(third.standardError.hasSuffix("\n1 inputs could not be stored\n"), third.standardError)
    }
}

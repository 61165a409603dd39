import Pipeline
import Evaluation
import Foundation
import Store
import TestSupport
import XCTest

/// `thorax eval` as a subprocess on a database of the bundled samples.
final class EvalCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try SharedData.temporaryDirectory("eval-command")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func testBadSplitAndMissingDatabaseAreNamed() throws {
        let badSplit = try ForwardCommandTests.run(["eval", "--database", "x.sqlite", "--split", "official"])
        XCTAssertNotEqual(badSplit.status, 0)
        XCTAssertTrue(badSplit.error.hasPrefix("Error: --split must be NAME:PART, e.g. official:test; got 'official'\n"), badSplit.error)
        let missing = try ForwardCommandTests.run(["eval", "--database", "/nonexistent/x.sqlite", "--split", "official:test"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.error, "Error: /nonexistent/x.sqlite: no such database file (`thorax db import-nih`, `thorax db import-dicom` or `thorax db import-reports` creates one)\n")
    }

    func testEvaluatesWhatIsOnDiskCountsTheRestAndMatchesTheLibrary() throws {
        let model = try BenchmarkCommandFixture.makeModel(in: directory)
        let (database, images) = try BenchmarkCommandFixture.makeDatabase(in: directory)
        try FileManager.default.removeItem(at: images.appendingPathComponent("00002578_000.png"))
        let unknownPart = try ForwardCommandTests.run(["eval", "--model", model.path, "--database", database,
                                                       "--split", "official:validation"])
        XCTAssertEqual(unknownPart.status, 1)
        XCTAssertEqual(unknownPart.error, "Error: --split: split 'official' of \(database) has no part 'validation' (it has test, train_val)\n")

        let roc = directory.appendingPathComponent("roc.svg")
        let result = try ForwardCommandTests.run(["eval", "--model", model.path, "--database", database, "--split", "official:test",
                                                  "--resamples", "50", "--roc", roc.path])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertEqual(result.error, "")
        let test = try ThoraxDatabase(path: database).labelledImages(split: "official", part: "test")
        XCTAssertEqual(test.map(\.name), ["00001153_004.png", "00001369_000.png", "00002578_000.png",
                                          "00022084_000.png", "00026911_000.png"])
        XCTAssertEqual(test[3].labels.enumerated().filter { $0.element == 1 }.map { Findings.classes[$0.offset] }, ["Pneumonia", "Edema"])
        let library = try EvaluationRunner(classifier: ChestModel.load(directory: model), modelName: "\(model.path) (resnet18)",
                                           bootstrap: BootstrapOptions(resamples: 50)).run(images: test)
        XCTAssertEqual(result.output, library.text)
        XCTAssertTrue(result.output.hasSuffix("5 images requested, 4 evaluated, 1 missing on disk\n"), result.output)
        let svg = try String(contentsOf: roc, encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))

        let json = try ForwardCommandTests.run(["eval", "--model", model.path, "--database", database, "--split", "official:test",
                                                "--resamples", "50", "--json"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        XCTAssertEqual(object["missing"] as? Int, 1)
        let table = try XCTUnwrap(object["table"] as? [String: Any])
        XCTAssertEqual(table["imageCount"] as? Int, 4)
    }
}

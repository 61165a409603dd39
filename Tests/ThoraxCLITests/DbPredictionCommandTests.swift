import Pipeline
import Foundation
import GRDB
@testable import Store
import TestSupport
import XCTest

/// `thorax predict --database`, `thorax eval --store-predictions` and what `db stats` and
/// `db export` then show, on a database of the bundled samples and the seeded test model
/// (Atelectasis threshold 0: always present; every other class 2: never present).
final class DbPredictionCommandTests: XCTestCase {
    var directory: URL!
    /// One model for the class: building and saving it takes seconds in a debug build.
    // nonisolated(unsafe): written once by the class setUp before its tests run, all on XCTest's thread.
    nonisolated(unsafe) static var modelDirectory: URL?
    var model: URL { Self.modelDirectory! }

    override class func setUp() {
        super.setUp()
        modelDirectory = try? BenchmarkCommandFixture.makeModel(in: SharedData.temporaryDirectory("db-prediction-model"))
    }

    override class func tearDown() {
        if let modelDirectory { try? FileManager.default.removeItem(at: modelDirectory.deletingLastPathComponent()) }
        super.tearDown()
    }

    override func setUpWithError() throws {
        directory = try SharedData.temporaryDirectory("db-prediction-command")
        XCTAssertNotNil(Self.modelDirectory, "the test model could not be written")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// (image name, class, probability) of every stored prediction.
    private func storedPredictions(_ database: String) throws -> [String: [String: Float]] {
        try ThoraxDatabase(path: database).queue.read { db in
            var stored: [String: [String: Float]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT i.name, p.class, p.probability FROM predictions p JOIN images i ON i.id = p.image_id
                """) {
                stored[row[0] as String, default: [:]][row[1] as String] = Float(row[2] as Double)
            }
            return stored
        }
    }

    func testPredictStoresProbabilitiesAndARerunReplacesThem() throws {
        let (database, images) = try BenchmarkCommandFixture.makeDatabase(in: directory)
        let first = images.appendingPathComponent("00000001_000.png").path
        let second = images.appendingPathComponent("00000099_013.png").path
        // By file name: a copy elsewhere is the same NIH image.
        let elsewhere = directory.appendingPathComponent("copy")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let third = elsewhere.appendingPathComponent("00026911_000.png").path
        try FileManager.default.copyItem(atPath: images.appendingPathComponent("00026911_000.png").path, toPath: third)

        let plain = try ForwardCommandTests.run(["predict", "--model", model.path, first, second])
        let stored = try ForwardCommandTests.run(["predict", "--model", model.path, "--database", database, first, second])
        XCTAssertEqual(stored.status, 0, stored.error)
        XCTAssertEqual(stored.output, plain.output)
        XCTAssertEqual(stored.error, "stored 28 probabilities of 2 images (0 replaced) and their labels (2 present) as model 1 'model' in \(database)\n")
        let library = try PredictionRunner(classifier: ChestModel.load(directory: model), modelName: "")
            .run(paths: [first, second, third])
        func probabilities(_ index: Int) -> [String: Float] {
            Dictionary(uniqueKeysWithValues: library.predictions[index].classes.map { ($0.className, $0.probability) })
        }
        XCTAssertEqual(try storedPredictions(database), ["00000001_000.png": probabilities(0), "00000099_013.png": probabilities(1)])

        let again = try ForwardCommandTests.run(["predict", "--model", model.path, "--database", database, second, third])
        XCTAssertEqual(again.status, 0, again.error)
        XCTAssertEqual(again.error, "stored 28 probabilities of 2 images (1 replaced) and their labels (2 present) as model 1 'model' in \(database)\n")
        XCTAssertEqual(try storedPredictions(database), ["00000001_000.png": probabilities(0), "00000099_013.png": probabilities(1),
                                                         "00026911_000.png": probabilities(2)])

        let statistics = try ForwardCommandTests.run(["db", "stats", "--database", database, "--json"])
        let counts = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(statistics.output.utf8)) as? [String: Any])
        XCTAssertEqual(counts["models"] as? Int, 1)
        XCTAssertEqual(counts["predictions"] as? Int, 42)
        let bySource = try XCTUnwrap(counts["labels_by_source"] as? [String: [String: Int]])
        XCTAssertEqual(bySource["model"], ["Atelectasis": 3])
        let text = try ForwardCommandTests.run(["db", "stats", "--database", database])
        XCTAssertTrue(text.output.contains("\nmodels: 1, predictions: 42\n  1 model (resnet18): 3 images predicted\n"), text.output)

        let labels = directory.appendingPathComponent("labels.csv").path
        let export = try ForwardCommandTests.run(["db", "export", "--database", database, "--source", "model:1", "--split", "official",
                                                  "--part", "test", "--output", labels])
        XCTAssertEqual(export.output, "wrote 5 images to \(labels)\n")
        let rows = try String(contentsOfFile: labels, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",")[0...1].joined(separator: ",") }
        XCTAssertEqual(rows, ["Image Index,Finding Labels", "00001153_004.png,No Finding", "00001369_000.png,No Finding",
                              "00002578_000.png,No Finding", "00022084_000.png,No Finding", "00026911_000.png,Atelectasis"])

        let csv = directory.appendingPathComponent("probabilities.csv").path
        let exported = try ForwardCommandTests.run(["db", "export", "--database", database, "--predictions", "1", "--output", csv])
        XCTAssertEqual(exported.output, "wrote the probabilities of 3 images to \(csv)\n")
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(lines[0], "Image Index," + Findings.classes.joined(separator: ","))
        XCTAssertEqual(lines[1], "00000001_000.png," + library.predictions[0].classes.map { "\($0.probability)" }.joined(separator: ","))
        XCTAssertTrue(lines[3].hasPrefix("00026911_000.png,"))

        let unknownModel = try ForwardCommandTests.run(["db", "export", "--database", database, "--source", "model:7", "--output", csv])
        XCTAssertEqual(unknownModel.status, 1)
        XCTAssertEqual(unknownModel.error, "Error: \(database) has no model with id 7 (`thorax db stats` lists the models)\n")
        let noID = try ForwardCommandTests.run(["db", "export", "--database", database, "--source", "model", "--output", csv])
        XCTAssertNotEqual(noID.status, 0)
        XCTAssertTrue(noID.error.hasPrefix("Error: --source must be nih, human, labeller or model:ID (a model id from `thorax db stats`)\n"), noID.error)
    }

    func testFilesNotInTheDatabaseArePredictedAndNamedButNotStored() throws {
        let (database, images) = try BenchmarkCommandFixture.makeDatabase(in: directory)
        let known = images.appendingPathComponent("00000002_000.png").path
        let stranger = directory.appendingPathComponent("chest.png").path
        try FileManager.default.copyItem(atPath: known, toPath: stranger)

        let none = try ForwardCommandTests.run(["predict", "--model", model.path, "--database", database, stranger])
        XCTAssertEqual(none.status, 1)
        XCTAssertEqual(none.error, """
            stored nothing in \(database): no image of this run is in it
            error: \(stranger): not stored: \(database) has no image recorded at this path or named chest.png

            """)
        XCTAssertEqual(try ThoraxDatabase(path: database).statistics().models, 0)

        let result = try ForwardCommandTests.run(["predict", "--model", model.path, "--database", database, stranger, known])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.error, """
            stored 14 probabilities of 1 image (0 replaced) and their labels (1 present) as model 1 'model' in \(database)
            error: \(stranger): not stored: \(database) has no image recorded at this path or named chest.png

            """)
        XCTAssertEqual(result.output, try ForwardCommandTests.run(["predict", "--model", model.path, stranger, known]).output)
        XCTAssertEqual(try storedPredictions(database).keys.sorted(), ["00000002_000.png"])

        let missing = try ForwardCommandTests.run(["predict", "--model", model.path, "--database", "/nonexistent/x.sqlite", known])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.output, "")
        XCTAssertEqual(missing.error, "Error: /nonexistent/x.sqlite: no such database file (`thorax db import-nih`, `thorax db import-dicom` or `thorax db import-reports` creates one)\n")
    }

    func testEvalStoresThePredictionsItComputedWhenAsked() throws {
        let (database, _) = try BenchmarkCommandFixture.makeDatabase(in: directory)
        let arguments = ["eval", "--model", model.path, "--database", database, "--split", "official:test", "--resamples", "20"]
        let plain = try ForwardCommandTests.run(arguments)
        XCTAssertEqual(plain.error, "")
        XCTAssertEqual(try storedPredictions(database), [:])
        // The 5 official:test samples are all on disk and labelled; Atelectasis is always present.
        let stored = try ForwardCommandTests.run(arguments + ["--store-predictions"])
        XCTAssertEqual(stored.status, 0, stored.error)
        XCTAssertEqual(stored.output, plain.output)
        XCTAssertEqual(stored.error, "stored 70 probabilities of 5 images (0 replaced) and their labels (5 present) as model 1 'model' in \(database)\n")
        let again = try ForwardCommandTests.run(arguments + ["--store-predictions"])
        XCTAssertEqual(again.error, "stored 70 probabilities of 5 images (5 replaced) and their labels (5 present) as model 1 'model' in \(database)\n")
        XCTAssertEqual(try storedPredictions(database).keys.sorted(),
                       ["00001153_004.png", "00001369_000.png", "00002578_000.png", "00022084_000.png", "00026911_000.png"])
        let statistics = try ThoraxDatabase(path: database).statistics()
        XCTAssertEqual(statistics.models, 1)
        XCTAssertEqual(statistics.predictions, 70)
    }

    func testPredictFindsADICOMImageByTheFileItWasImportedFrom() throws {
        let dicom = directory.appendingPathComponent("base8.dcm")
        try FileManager.default.copyItem(at: SharedData.repositoryRoot.appendingPathComponent("Tests/ImagingTests/Fixtures/base8.dcm"),
                                         to: dicom)
        let database = directory.appendingPathComponent("dicom.sqlite").path
        let imported = try ForwardCommandTests.run(["db", "import-dicom", "--database", database, dicom.path])
        XCTAssertEqual(imported.status, 0, imported.error)
        let result = try ForwardCommandTests.run(["predict", "--model", model.path, "--database", database, dicom.path])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertEqual(result.error, "stored 14 probabilities of 1 image (0 replaced) and their labels (1 present) as model 1 'model' in \(database)\n")
        // The image is named by its SOP Instance UID (dcmdump), not by its file name.
        XCTAssertEqual(try storedPredictions(database).keys.sorted(), ["1.2.826.0.1.3680043.10.1378.599934006325735878351206681570973060"])
    }
}

import Foundation
import GRDB
import TestSupport
import XCTest
@testable import Store

/// Registering models and storing their predictions and labels.
final class ModelPredictionTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try SharedData.temporaryDirectory("thorax-models")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Writes a model directory: `model.json` with the given classes and thresholds, and
    /// `weights` as `model.safetensors` (the store only hashes it).
    private func makeModel(_ name: String, classes: [String] = Findings.classes, thresholds: [Float]? = nil,
                           weights: String = "abc") throws -> URL {
        let model = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        let card: [String: Any] = [
            "formatVersion": 1, "architecture": "resnet18", "classes": classes,
            "thresholds": thresholds ?? classes.map { _ in 0.5 }, "created": "2026-11-26T12:00:00Z",
            "thoraxVersion": "0.1.0",
        ]
        try JSONSerialization.data(withJSONObject: card, options: [.sortedKeys])
            .write(to: model.appendingPathComponent("model.json"))
        try Data(weights.utf8).write(to: model.appendingPathComponent("model.safetensors"))
        return model
    }

    /// An in-memory database holding the NIH fixture, and the ids of two of its images.
    private func fixtureDatabase() throws -> (ThoraxDatabase, Int64, Int64) {
        let database = try ThoraxDatabase()
        try database.importNIH(try NIHFixture.read())
        let ids = try database.images(forFiles: ["00000001_000.png", "00000002_000.png"]).map { $0!.id }
        return (database, ids[0], ids[1])
    }

    /// (image name, class, probability) of every prediction, and (image name, class, value)
    /// of every model label, of model `modelID`.
    private func stored(_ database: ThoraxDatabase, modelID: Int64) throws -> (predictions: [String], labels: [String]) {
        try database.queue.read { db in
            let predictions = try Row.fetchAll(db, sql: """
                SELECT i.name, p.class, p.probability FROM predictions p JOIN images i ON i.id = p.image_id
                WHERE p.model_id = ? ORDER BY i.name, p.class
                """, arguments: [modelID]).map { "\($0[0] as String) \($0[1] as String) \($0[2] as Double)" }
            let labels = try Row.fetchAll(db, sql: """
                SELECT i.name, l.class, l.value FROM labels l JOIN images i ON i.id = l.image_id
                WHERE l.source = 'model' AND l.model_id = ? ORDER BY i.name, l.class
                """, arguments: [modelID]).map { "\($0[0] as String) \($0[1] as String) \($0[2] as Int)" }
            return (predictions, labels)
        }
    }

    func testReadsCardFieldsAndHashesTheWeights() throws {
        let url = try makeModel("chest", thresholds: (0..<14).map { Float($0) / 20 })
        let record = try ModelRecord.read(directory: url)
        XCTAssertEqual(record.name, "chest")
        XCTAssertEqual(record.path, url.standardizedFileURL.path)
        XCTAssertEqual(record.architecture, "resnet18")
        XCTAssertEqual(record.classes, Findings.classes)
        XCTAssertEqual(record.thresholds[3], 0.15)
        XCTAssertEqual(record.created, "2026-11-26T12:00:00Z")
        XCTAssertEqual(record.card, try String(contentsOf: url.appendingPathComponent("model.json"), encoding: .utf8))
        // SHA-256("abc"), the FIPS 180-2 test vector.
        XCTAssertEqual(record.contentHash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(try ModelRecord.read(directory: url, name: "other").name, "other")
    }

    func testUnreadableModelDirectoriesNameTheFile() throws {
        let empty = directory.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertThrowsError(try ModelRecord.read(directory: empty)) { error in
            XCTAssertEqual("\(error)", "\(empty.path)/model.json: cannot read: missing or unreadable")
        }
        let uneven = try makeModel("uneven", classes: ["Atelectasis", "Edema"], thresholds: [0.5])
        XCTAssertThrowsError(try ModelRecord.read(directory: uneven)) { error in
            XCTAssertEqual("\(error)", "\(uneven.path)/model.json: cannot read: 1 thresholds for 2 classes")
        }
        let noWeights = try makeModel("no-weights")
        try FileManager.default.removeItem(at: noWeights.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try ModelRecord.read(directory: noWeights)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(noWeights.path)/model.safetensors: cannot read: "), "\(error)")
        }
    }

    func testRegisteringIsIdempotentAndNewWeightsGetTheirOwnRow() throws {
        let database = try ThoraxDatabase()
        let record = try ModelRecord.read(directory: try makeModel("default"))
        let first = try database.registerModel(record)
        XCTAssertEqual(first, RegisteredModel(id: first.id, name: "default", added: true))
        XCTAssertEqual(try database.registerModel(record), RegisteredModel(id: first.id, name: "default", added: false))
        // The same weights from another directory: the same model, its path updated.
        let moved = try ModelRecord.read(directory: try makeModel("moved"))
        XCTAssertEqual(try database.registerModel(moved).id, first.id)
        XCTAssertEqual(try database.models().map(\.path), [moved.path])
        // Retrained weights under the taken name.
        let retrained = try ModelRecord.read(directory: try makeModel("default", weights: "abcd"))
        let second = try database.registerModel(retrained)
        XCTAssertEqual(second.name, "default@" + retrained.contentHash.prefix(12))
        XCTAssertNotEqual(second.id, first.id)
        XCTAssertEqual(try database.statistics().models, 2)
        XCTAssertEqual(try database.models().map(\.name), ["default", second.name])
    }

    func testModelsWithClassesTheDatabaseLacksAreRefused() throws {
        let database = try ThoraxDatabase()
        let url = try makeModel("odd", classes: ["Atelectasis", "Fracture"])
        XCTAssertThrowsError(try database.registerModel(try ModelRecord.read(directory: url))) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(url.path)/model.json: class 'Fracture' is not one of the database's classes (Atelectasis, "), "\(error)")
        }
        XCTAssertEqual(try database.statistics().models, 0)
    }

    func testPredictionsAndLabelsAreStoredAndReplacedOnRerun() throws {
        let (database, first, second) = try fixtureDatabase()
        let record = try ModelRecord.read(directory: try makeModel("m", classes: ["Atelectasis", "Effusion"],
                                                                   thresholds: [0.5, 0.25]))
        let summary = try database.storePredictions([
            ImageProbabilities(imageID: first, probabilities: [0.5, 0.125]),
            ImageProbabilities(imageID: second, probabilities: [0.25, 0.75]),
        ], of: record)
        XCTAssertEqual(summary, PredictionStorageSummary(model: RegisteredModel(id: summary.model.id, name: "m", added: true),
                                                         images: 2, replaced: 0, predictions: 4, positives: 2))
        var rows = try stored(database, modelID: summary.model.id)
        XCTAssertEqual(rows.predictions, ["00000001_000.png Atelectasis 0.5", "00000001_000.png Effusion 0.125",
                                          "00000002_000.png Atelectasis 0.25", "00000002_000.png Effusion 0.75"])
        // Present when probability ≥ threshold: 0.5 ≥ 0.5, 0.125 < 0.25, 0.25 < 0.5, 0.75 ≥ 0.25.
        XCTAssertEqual(rows.labels, ["00000001_000.png Atelectasis 1", "00000001_000.png Effusion 0",
                                     "00000002_000.png Atelectasis 0", "00000002_000.png Effusion 1"])
        var statistics = try database.statistics()
        XCTAssertEqual(statistics.models, 1)
        XCTAssertEqual(statistics.predictions, 4)
        XCTAssertEqual(statistics.labelsBySource["model"], ["Atelectasis": 1, "Effusion": 1])

        // Again for the second image (new probabilities) and a third: replaced, not doubled.
        let third = try database.images(forFiles: ["00000003_001.png"])[0]!.id
        let again = try database.storePredictions([
            ImageProbabilities(imageID: second, probabilities: [0.875, 0]),
            ImageProbabilities(imageID: third, probabilities: [0, 1]),
        ], of: record)
        XCTAssertEqual(again, PredictionStorageSummary(model: RegisteredModel(id: summary.model.id, name: "m", added: false),
                                                       images: 2, replaced: 1, predictions: 4, positives: 2))
        rows = try stored(database, modelID: summary.model.id)
        XCTAssertEqual(rows.predictions, ["00000001_000.png Atelectasis 0.5", "00000001_000.png Effusion 0.125",
                                          "00000002_000.png Atelectasis 0.875", "00000002_000.png Effusion 0.0",
                                          "00000003_001.png Atelectasis 0.0", "00000003_001.png Effusion 1.0"])
        XCTAssertEqual(rows.labels, ["00000001_000.png Atelectasis 1", "00000001_000.png Effusion 0",
                                     "00000002_000.png Atelectasis 1", "00000002_000.png Effusion 0",
                                     "00000003_001.png Atelectasis 0", "00000003_001.png Effusion 1"])
        statistics = try database.statistics()
        XCTAssertEqual(statistics.models, 1)
        XCTAssertEqual(statistics.predictions, 6)
        XCTAssertEqual(try database.models().map(\.images), [3])

        // Another model's rows for the same image are its own.
        let other = try ModelRecord.read(directory: try makeModel("n", classes: ["Edema"], weights: "other"))
        let otherSummary = try database.storePredictions([ImageProbabilities(imageID: second, probabilities: [0.5])], of: other)
        XCTAssertEqual(try stored(database, modelID: otherSummary.model.id).predictions, ["00000002_000.png Edema 0.5"])
        XCTAssertEqual(try stored(database, modelID: summary.model.id).predictions.count, 6)
        XCTAssertEqual(try database.statistics().predictions, 7)
    }

    func testAFailureMidwayLeavesTheDatabaseUnchanged() throws {
        let (database, first, second) = try fixtureDatabase()
        let record = try ModelRecord.read(directory: try makeModel("m"))
        let good = [Float](repeating: 0.5, count: 14)
        try database.storePredictions([ImageProbabilities(imageID: first, probabilities: good)], of: record)
        let before = try dumpTables(database)
        var bad = good
        bad[4] = .nan
        XCTAssertThrowsError(try database.storePredictions([
            ImageProbabilities(imageID: first, probabilities: [Float](repeating: 0.75, count: 14)),
            ImageProbabilities(imageID: second, probabilities: bad),
        ], of: record)) { error in
            XCTAssertEqual("\(error)", "image 00000002_000.png: probability nan of class Mass is not in [0, 1]")
        }
        XCTAssertThrowsError(try database.storePredictions([
            ImageProbabilities(imageID: second, probabilities: good),
            ImageProbabilities(imageID: second, probabilities: [0.5]),
        ], of: record)) { error in
            XCTAssertEqual("\(error)", "image 00000002_000.png: 1 probabilities for the 14 classes of model 'm'")
        }
        XCTAssertThrowsError(try database.storePredictions([
            ImageProbabilities(imageID: second, probabilities: good),
            ImageProbabilities(imageID: 999_999, probabilities: good),
        ], of: record)) { error in
            XCTAssertEqual("\(error)", "no image with id 999999 in the database")
        }
        // A new model's registration is undone with its predictions.
        let fresh = try ModelRecord.read(directory: try makeModel("fresh", weights: "fresh"))
        XCTAssertThrowsError(try database.storePredictions([ImageProbabilities(imageID: 999_999, probabilities: good)], of: fresh))
        XCTAssertEqual(try dumpTables(database), before)
    }

    func testImagesAreFoundByRecordedPathThenByName() throws {
        let database = try ThoraxDatabase()
        try database.importNIH(try NIHFixture.read(), imagesDirectory: NIHFixture.images)
        let onDisk = NIHFixture.images.appendingPathComponent("00000001_000.png").path
        let roundabout = NIHFixture.images.appendingPathComponent("../images/00000001_000.png").path
        let found = try database.images(forFiles: [onDisk, roundabout, "/elsewhere/00000002_000.png", "/x/unknown.png"])
        XCTAssertEqual(found.map { $0?.name }, ["00000001_000.png", "00000001_000.png", "00000002_000.png", nil])
        XCTAssertEqual(found[0]?.id, found[1]?.id)
    }

    func testExportWritesAModelsLabels() throws {
        let (database, first, second) = try fixtureDatabase()
        let record = try ModelRecord.read(directory: try makeModel("m", classes: ["Atelectasis", "Effusion"]))
        let summary = try database.storePredictions([
            ImageProbabilities(imageID: first, probabilities: [0.75, 0.75]),
            ImageProbabilities(imageID: second, probabilities: [0, 0.25]),
        ], of: record)
        let output = directory.appendingPathComponent("model.csv")
        XCTAssertEqual(try database.exportDataEntry(split: nil, part: nil, source: "model", modelID: summary.model.id, to: output), 22)
        let lines = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(lines[1].hasPrefix("00000001_000.png,Atelectasis|Effusion,0,1,"), "\(lines[1])")
        XCTAssertTrue(lines[4].hasPrefix("00000002_000.png,No Finding,0,2,"), "\(lines[4])")
        XCTAssertThrowsError(try database.exportDataEntry(split: nil, part: nil, source: "model", modelID: 42, to: output)) { error in
            XCTAssertEqual("\(error)", "the database has no model with id 42 (`thorax db stats` lists the models)")
        }
    }

    func testPredictionExportWritesOneColumnPerClassOfTheModel() throws {
        let (database, first, second) = try fixtureDatabase()
        let record = try ModelRecord.read(directory: try makeModel("m", classes: ["Effusion", "Atelectasis"]))
        let summary = try database.storePredictions([
            ImageProbabilities(imageID: second, probabilities: [0.1, 0.75]),
            ImageProbabilities(imageID: first, probabilities: [0.5, 0.2]),
        ], of: record)
        let output = directory.appendingPathComponent("p.csv")
        XCTAssertEqual(try database.exportPredictions(modelID: summary.model.id, to: output), 2)
        XCTAssertEqual(try String(contentsOf: output, encoding: .utf8), """
            Image Index,Effusion,Atelectasis
            00000001_000.png,0.5,0.2
            00000002_000.png,0.1,0.75

            """)
        // Both images are in official:train_val (Fixtures/nih-small/train_val_list.txt).
        XCTAssertEqual(try database.exportPredictions(modelID: summary.model.id, split: "official", part: "test", to: output), 0)
        XCTAssertEqual(try String(contentsOf: output, encoding: .utf8), "Image Index,Effusion,Atelectasis\n")
        XCTAssertEqual(try database.exportPredictions(modelID: summary.model.id, split: "official", part: "train_val", to: output), 2)
        XCTAssertThrowsError(try database.exportPredictions(modelID: 9, to: output)) { error in
            XCTAssertEqual("\(error)", "the database has no model with id 9 (`thorax db stats` lists the models)")
        }
        XCTAssertThrowsError(try database.exportPredictions(modelID: summary.model.id, split: "official", part: "x", to: output)) { error in
            XCTAssertEqual("\(error)", "split 'official' has no part 'x' (it has test, train_val)")
        }
    }

    /// Replacing an image's model labels looks them up by image, not by scanning the model's.
    func testReplacingLabelsUsesThePerImageKey() throws {
        let database = try ThoraxDatabase()
        let plan = try database.queue.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + ThoraxDatabase.deleteModelLabelsSQL, arguments: [1, 1])
                .map { $0["detail"] as String }
        }
        XCTAssertEqual(plan, ["SEARCH labels USING INDEX labels_of_images (image_id=?)"])
    }

    func testLabelledImagesOfAModelAreItsVerdicts() throws {
        let (database, first, second) = try fixtureDatabase()
        let record = try ModelRecord.read(directory: try makeModel("m", classes: ["Atelectasis", "Effusion"]))
        let summary = try database.storePredictions([
            ImageProbabilities(imageID: first, probabilities: [0.75, 0.25]),
            ImageProbabilities(imageID: second, probabilities: [0.25, 0.5]),
        ], of: record)
        let other = try ModelRecord.read(directory: try makeModel("n", classes: ["Edema"], weights: "other"))
        try database.storePredictions([ImageProbabilities(imageID: first, probabilities: [1])], of: other)
        let images = try database.labelledImages(split: "official", part: "train_val", source: "model:\(summary.model.id)")
        XCTAssertEqual(images.map(\.name), ["00000001_000.png", "00000001_001.png", "00000001_002.png", "00000002_000.png"])
        // Classes the model lacks are 0 on images it labelled; images it did not label are unknown.
        func positives(_ image: LabelledImage) -> [String] {
            image.labels.enumerated().filter { $0.element == 1 }.map { Findings.classes[$0.offset] }
        }
        XCTAssertEqual(positives(images[0]), ["Atelectasis"])
        XCTAssertEqual(positives(images[3]), ["Effusion"])
        XCTAssertEqual(images[3].labels.filter { $0 == 0 }.count, 13)
        XCTAssertEqual(images[1].labels, [Float](repeating: -1, count: 14))
        XCTAssertThrowsError(try database.labelledImages(split: "official", part: "test", source: "model")) { error in
            XCTAssertEqual("\(error)", "labels of source 'model' need the model's id: model:ID (thorax db stats lists the models)")
        }
        XCTAssertThrowsError(try database.labelledImages(split: "official", part: "test", source: "model:77")) { error in
            XCTAssertEqual("\(error)", "the database has no model with id 77 (`thorax db stats` lists the models)")
        }
    }
}

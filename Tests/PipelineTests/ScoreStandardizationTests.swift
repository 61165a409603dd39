import Evaluation
import Foundation
import Imaging
import Models
import Pipeline
import Random
import TestSupport
import XCTest

/// Score standardization: the statistics against a hand-computed case, the probabilities and
/// heatmaps a standardized model gives against its raw logits, ensembles of standardized
/// members, and cards whose statistics do not fit.
final class ScoreStandardizationTests: XCTestCase {
    func testStatisticsAgainstAHandComputedCase() throws {
        // Class 1: 1, 3, 5 → mean 3, population standard deviation √(8/3); class 2 all equal → 1.
        let s = try ModelCard.ScoreStandardization(logits: [[1, -2], [3, -2], [5, -2]])
        XCTAssertEqual(s.films, 3)
        XCTAssertEqual(s.mean[0], 3, accuracy: 1e-6)
        XCTAssertEqual(s.mean[1], -2, accuracy: 1e-6)
        XCTAssertEqual(s.standardDeviation[0], (8.0 / 3.0).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(s.standardDeviation[1], 1)
        XCTAssertEqual(s.score(5, classIndex: 0), 2 / (8.0 / 3.0).squareRoot(), accuracy: 1e-6)
        XCTAssertThrowsError(try ModelCard.ScoreStandardization(logits: []))
        XCTAssertThrowsError(try ModelCard.ScoreStandardization(logits: [[1, 2], [3]]))
        XCTAssertThrowsError(try ModelCard.ScoreStandardization(logits: [[1, .nan]])) { error in
            XCTAssertTrue("\(error)".contains("film 1"), "\(error)")
        }
    }

    private func images(count: Int, size: Int) -> [Float] {
        var random = SplitMix64(seed: 9)
        return (0 ..< count * 3 * size * size).map { _ in random.uniform(-2 ... 2) }
    }

    func testAStandardizedModelScoresItsLogitsOnTheStoredScale() throws {
        let card = EnsembleModelTests.card()
        let model = try ChestModel(card: card, seed: 3)
        let input = images(count: 2, size: 64)
        let raw = try model.predict(images: input, count: 2)
        let logits = try model.memberLogits(images: input, count: 2)[0]
        let standardization = ModelCard.ScoreStandardization(films: 10, mean: [0.5, -1, 2], standardDeviation: [2, 0.5, 1])
        model.card.scoreStandardization = [standardization]
        let scaled = try model.predict(images: input, count: 2)
        for n in 0 ..< 2 {
            for c in 0 ..< 3 {
                let logit = logits[n * 3 + c]
                XCTAssertEqual(raw[n].probabilities[c], 1 / (1 + exp(-logit)), accuracy: 1e-6)
                let z = (logit - standardization.mean[c]) / standardization.standardDeviation[c]
                XCTAssertEqual(scaled[n].probabilities[c], 1 / (1 + exp(-z)), accuracy: 1e-6, "image \(n) class \(c)")
                // The heatmaps are divided by the class's spread (a figure normalizes them anyway).
                for (a, b) in zip(scaled[n].heatmaps[c].values, raw[n].heatmaps[c].values) {
                    XCTAssertEqual(a, b / standardization.standardDeviation[c], accuracy: 1e-5)
                }
            }
        }
    }

    func testAnEnsembleAveragesEachMembersStandardizedProbability() throws {
        let card = EnsembleModelTests.card()
        let members = try (0 ..< 2).map { try ChestModel(card: card, seed: UInt64(30 + $0)) }
        members[0].card.scoreStandardization = [.init(films: 4, mean: [1, 0, 0], standardDeviation: [1, 2, 1])]
        members[1].card.scoreStandardization = [.init(films: 4, mean: [0, 1, -1], standardDeviation: [3, 1, 1])]
        let input = images(count: 1, size: 64)
        let alone = try members.map { try $0.predict(images: input, count: 1)[0].probabilities }
        let ensemble = try ChestModel(ensembleOf: members, card: card)
        XCTAssertEqual(ensemble.card.scoreStandardization, members.map { $0.card.scoreStandardization![0] })
        let joined = try ensemble.predict(images: input, count: 1)[0].probabilities
        for c in 0 ..< 3 { XCTAssertEqual(joined[c], (alone[0][c] + alone[1][c]) / 2, accuracy: 1e-6) }

        // Saved and loaded, the statistics travel with the card.
        let directory = try SharedData.temporaryDirectory("standardized-ensemble")
        defer { try? FileManager.default.removeItem(at: directory) }
        try ensemble.save(directory: directory, storage: .float32)
        let loaded = try ChestModel.load(directory: directory)
        XCTAssertEqual(loaded.card.scoreStandardization, ensemble.card.scoreStandardization)
        let again = try loaded.predict(images: input, count: 1)[0].probabilities
        for c in 0 ..< 3 { XCTAssertEqual(again[c], joined[c], accuracy: 1e-6) }

        // All members standardized or none.
        let plain = try ChestModel(card: card, seed: 40)
        XCTAssertThrowsError(try ChestModel(ensembleOf: [members[0], plain], card: card)) { error in
            XCTAssertTrue("\(error)".contains("all or none"), "\(error)")
        }
        // An ensemble is standardized member by member.
        XCTAssertThrowsError(try ensemble.standardizeScores(onFiles: ["unused.png"]))
    }

    func testACardWhoseStatisticsDoNotFitIsRejected() throws {
        let directory = try SharedData.temporaryDirectory("standardization-card")
        defer { try? FileManager.default.removeItem(at: directory) }
        var card = EnsembleModelTests.card()
        card.scoreStandardization = [.init(films: 3, mean: [0, 0], standardDeviation: [1, 1])]
        try card.write(directory: directory)
        XCTAssertThrowsError(try ModelCard.read(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains("each of the 3 classes"), "\(error)")
        }
        card.scoreStandardization = [.init(films: 3, mean: [0, 0, 0], standardDeviation: [1, 0, 1])]
        try card.write(directory: directory)
        XCTAssertThrowsError(try ModelCard.read(directory: directory))
        card.scoreStandardization = [.init(films: 3, mean: [0, 0, 0], standardDeviation: [1, 1, 1])]
        card.ensembleSize = 2
        try card.write(directory: directory)
        XCTAssertThrowsError(try ModelCard.read(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains("1 score standardizations for 2 networks"), "\(error)")
        }
    }

    func testStandardizingOnRealFilmsNamesAnUnreadableOne() throws {
        let model = try ChestModel(card: EnsembleModelTests.card(), seed: 3)
        let directory = try SharedData.temporaryDirectory("standardization-files")
        defer { try? FileManager.default.removeItem(at: directory) }
        let bad = directory.appendingPathComponent("broken.png")
        try Data("not a png".utf8).write(to: bad)
        XCTAssertThrowsError(try model.standardizeScores(onFiles: [bad.path])) { error in
            XCTAssertTrue("\(error)".contains("broken.png"), "\(error)")
        }
        XCTAssertNil(model.card.scoreStandardization, "nothing set on failure")
    }
}

import Evaluation
import Foundation
import Imaging
import Models
import Pipeline
import Random
import SafeTensors
import TestSupport
import XCTest

/// An ensemble's probabilities and heatmaps are its members' means, it is saved and loaded as
/// one model directory, and a card at output stride 16 gives 16×16 heatmaps at 256 px.
final class EnsembleModelTests: XCTestCase {
    static func card(_ architecture: Architecture = .resnet18, inputSize: Int = 64, outputStride: OutputStride? = nil) -> ModelCard {
        ModelCard(architecture: architecture, outputStride: outputStride, classes: ["Atelectasis", "Cardiomegaly", "Effusion"],
                  preprocessing: .init(inputSize: inputSize, channels: 3, mean: Normalization.imageNetMean,
                                       standardDeviation: Normalization.imageNetStandardDeviation),
                  head: .init(transitionChannels: 4, pooling: .logSumExp, lseR: 10), thresholds: [0.5, 0.5, 0.5],
                  thoraxVersion: "test")
    }

    private func images(count: Int, size: Int) -> [Float] {
        var random = SplitMix64(seed: 5)
        return (0 ..< count * 3 * size * size).map { _ in random.uniform(-2 ... 2) }
    }

    func testEnsemblePredictsTheMeanOfItsMembers() throws {
        let card = Self.card()
        let members = try (0 ..< 3).map { try ChestModel(card: card, seed: UInt64(20 + $0)) }
        let input = images(count: 2, size: 64)
        let alone = try members.map { try $0.predict(images: input, count: 2) }
        let ensemble = try ChestModel(ensembleOf: members, card: card)
        XCTAssertEqual(ensemble.card.ensembleSize, 3)
        XCTAssertEqual(ensemble.members.count, 3)
        let predictions = try ensemble.predict(images: input, count: 2)
        for n in 0 ..< 2 {
            for c in 0 ..< 3 {
                let mean = alone.map { $0[n].probabilities[c] }.reduce(0, +) / 3
                XCTAssertEqual(predictions[n].probabilities[c], mean, accuracy: 1e-6, "image \(n) class \(c)")
                let maps = alone.map { $0[n].heatmaps[c].values }
                for (index, value) in predictions[n].heatmaps[c].values.enumerated() {
                    XCTAssertEqual(value, (maps[0][index] + maps[1][index] + maps[2][index]) / 3, accuracy: 1e-5)
                }
            }
        }
        // The members differ, so the mean is not any one of them.
        XCTAssertNotEqual(alone[0][0].probabilities, alone[1][0].probabilities)

        // Saved and loaded: one weights file with members.<k>.*, the same predictions.
        let directory = try SharedData.temporaryDirectory("ensemble-model")
        defer { try? FileManager.default.removeItem(at: directory) }
        try ensemble.save(directory: directory, storage: .float32)
        let names = try SafeTensorsFile(contentsOf: directory.appendingPathComponent(ChestModel.weightsFileName)).names
        XCTAssertTrue(names.contains("members.2.transition.weight"), "\(names.prefix(5))")
        let loaded = try ChestModel.load(directory: directory)
        XCTAssertEqual(loaded.members.count, 3)
        let again = try loaded.predict(images: input, count: 2)
        for n in 0 ..< 2 {
            for c in 0 ..< 3 { XCTAssertEqual(again[n].probabilities[c], predictions[n].probabilities[c], accuracy: 1e-6) }
        }
    }

    func testMembersMustMatchTheCard() throws {
        let member = try ChestModel(card: Self.card(), seed: 1)
        var other = Self.card()
        other.head.transitionChannels = 8
        XCTAssertThrowsError(try ChestModel(ensembleOf: [member], card: other))
        XCTAssertThrowsError(try ChestModel(ensembleOf: [], card: Self.card()))
        var empty = Self.card()
        empty.ensembleSize = 0
        XCTAssertThrowsError(try ChestModel(card: empty))
    }

    func testOutputStrideSixteenGivesSixteenBySixteenHeatmapsAt256() throws {
        let card = Self.card(.efficientnetLite0, inputSize: 256, outputStride: .sixteen)
        let model = try ChestModel(card: card, seed: 1)
        XCTAssertEqual(model.heatmapSize, 16)
        let prediction = try model.predict(images: images(count: 1, size: 256), count: 1)[0]
        XCTAssertEqual(prediction.heatmaps.map(\.width), [16, 16, 16])
        XCTAssertEqual(prediction.heatmaps.map(\.height), [16, 16, 16])
        XCTAssertEqual(Self.card(.efficientnetLite0, inputSize: 256).heatmapSize, 8)
        // The card keeps the choice; a card written before it existed reads as stride 32.
        let directory = try SharedData.temporaryDirectory("stride-card")
        defer { try? FileManager.default.removeItem(at: directory) }
        try card.write(directory: directory)
        XCTAssertEqual(try ModelCard.read(directory: directory).outputStride, .sixteen)
        let json = try String(contentsOf: directory.appendingPathComponent(ModelCard.fileName), encoding: .utf8)
        XCTAssertTrue(json.contains("\"outputStride\" : 16"), json)
        try json.replacingOccurrences(of: "\"outputStride\" : 16,", with: "")
            .write(to: directory.appendingPathComponent(ModelCard.fileName), atomically: true, encoding: .utf8)
        let old = try ModelCard.read(directory: directory)
        XCTAssertNil(old.outputStride)
        XCTAssertEqual(old.heatmapSize, 8)
        // ResNet-18 has no dilated form: the card is refused naming the file.
        try Self.card(.resnet18, outputStride: .sixteen).write(directory: directory)
        XCTAssertThrowsError(try ModelCard.read(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains("output stride 16"), "\(error)")
        }
    }

    func testTheBundledModelStillLoadsAndSaysWhatItIs() throws {
        let model = try ChestModel.load(named: ModelDirectory.defaultName)
        // The bundled model: two networks at output stride 16 (16×16 heatmaps at 256 px), each
        // standardized on the films it trained on; its card holding the out-of-fold figures
        // with their interval, the marked-findings figure and the localization anecdote.
        XCTAssertEqual(model.card.outputStride, .sixteen)
        XCTAssertEqual(model.card.preprocessing.inputSize, 256)
        XCTAssertEqual(model.card.heatmapSize, 16)
        XCTAssertEqual(model.members.count, 2)
        XCTAssertEqual(model.card.scoreStandardization?.map(\.films), [637, 637])
        let cv = try XCTUnwrap(model.card.crossValidation)
        XCTAssertEqual(cv.members, 2)
        XCTAssertNotNil(cv.scoreStandardization)
        XCTAssertEqual(cv.images, 637)
        XCTAssertEqual(cv.folds, 5)
        XCTAssertNotNil(cv.meanAUCInterval)
        XCTAssertEqual(cv.markedFindings.noFindingFilms + cv.markedFindings.filmsWithFindings, 637)
        XCTAssertEqual(cv.thresholdRule, .specificity90)
        let localization = try XCTUnwrap(model.card.localization)
        XCTAssertEqual(localization.images, 5)
        XCTAssertTrue(localization.caveat.contains("an anecdote"), localization.caveat)
        XCTAssertTrue(model.card.summary.contains("out-of-fold mean AUC"), model.card.summary)
        XCTAssertTrue(model.card.summary.hasSuffix("not for clinical use"), model.card.summary)
    }
}

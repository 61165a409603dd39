import Random
import Pipeline
import Foundation
import Imaging
import Models
import TestSupport
import Training
import XCTest

/// A model directory (model.safetensors + model.json) written and read back, and how the name
/// `default` is resolved.
final class TrainModelDirectoryTests: XCTestCase {
    static func card(architecture: Architecture = .efficientnetLite0, size: Int = 32, pooling: HeadPooling = .logSumExp) -> ModelCard {
        ModelCard(architecture: architecture, classes: ["Atelectasis", "Cardiomegaly", "Effusion"],
                  preprocessing: .init(inputSize: size, channels: 3, mean: Normalization.imageNetMean,
                                       standardDeviation: Normalization.imageNetStandardDeviation),
                  head: .init(transitionChannels: 8, pooling: pooling, lseR: 10), thresholds: [0.5, 0.5, 0.5],
                  thoraxVersion: "test")
    }

    static func images(_ count: Int, size: Int) -> [Float] {
        var generator = Random.SplitMix64(seed: 5)
        return (0 ..< count * 3 * size * size).map { _ in generator.uniform(-2 ... 2) }
    }

    func testFloat32RoundTripGivesIdenticalOutputsAndFloat16StaysClose() throws {
        let directory = try SharedData.temporaryDirectory("train-model-dir")
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try ChestModel(card: Self.card(), seed: 3)
        let input = Self.images(2, size: 32)
        let before = try model.predict(images: input, count: 2)
        XCTAssertEqual(before.count, 2)
        XCTAssertEqual(before[0].classes.count, 3)
        XCTAssertEqual(model.heatmapSize, 1)
        XCTAssertEqual([before[1].heatmaps[2].width, before[1].heatmaps[2].height], [1, 1])

        let exact = directory.appendingPathComponent("f32")
        try model.save(directory: exact, storage: .float32)
        XCTAssertTrue(FileManager.default.fileExists(atPath: exact.appendingPathComponent("model.safetensors").path))
        let reloaded = try ChestModel.load(directory: exact)
        XCTAssertEqual(reloaded.card, model.card)
        let after = try reloaded.predict(images: input, count: 2)
        XCTAssertEqual(after.map(\.probabilities), before.map(\.probabilities))
        XCTAssertEqual(after.map(\.heatmaps), before.map(\.heatmaps))

        let half = directory.appendingPathComponent("f16")
        try model.save(directory: half)
        let halfSize = try FileManager.default.attributesOfItem(atPath: half.appendingPathComponent("model.safetensors").path)[.size] as! Int
        let fullSize = try FileManager.default.attributesOfItem(atPath: exact.appendingPathComponent("model.safetensors").path)[.size] as! Int
        XCTAssertLessThan(Double(halfSize), 0.51 * Double(fullSize))
        let rounded = try ChestModel.load(directory: half).predict(images: input, count: 2)
        for (a, b) in zip(rounded.map(\.probabilities).joined(), before.map(\.probabilities).joined()) {
            XCTAssertEqual(a, b, accuracy: 0.02)
        }
    }

    func testClassifyPreparesImagesAsTheCardSays() throws {
        let model = try ChestModel(card: Self.card(size: 32, pooling: .average), seed: 4)
        let image = GrayscaleImage(width: 100, height: 80, pixels: (0 ..< 8000).map { UInt8($0 % 251) })
        let result = try model.classify([image, image], heatmaps: true)
        XCTAssertEqual(result.count, 2)
        XCTAssertEqual(result[0], result[1])
        XCTAssertEqual(result[0].heatmaps.count, 3)
        // The same image prepared by hand gives the same probabilities.
        let prepared = try ChestModel.preprocessing(for: model.card)(image).pixels
        let direct = try model.probabilities(images: prepared, count: 1)
        XCTAssertEqual(direct[0], result[0].probabilities)
    }

    func testBadDirectoriesAndInputsAreNamed() throws {
        let directory = try SharedData.temporaryDirectory("train-model-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        XCTAssertThrowsError(try ChestModel.load(directory: directory)) { error in
            XCTAssertTrue(String(describing: error).contains("model.json"), "\(error)")
        }
        try Self.card().write(directory: directory)
        XCTAssertThrowsError(try ChestModel.load(directory: directory)) { error in
            XCTAssertEqual(error as? ChestModelError, .missingWeights(directory.appendingPathComponent("model.safetensors").path))
        }
        // A card naming an unknown architecture or pooling is refused as it is read, naming the file.
        let cardFile = directory.appendingPathComponent("model.json")
        let written = try String(contentsOf: cardFile, encoding: .utf8)
        try written.replacingOccurrences(of: "\"efficientnet-lite0\"", with: "\"vgg16\"").write(to: cardFile, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ChestModel.load(directory: directory)) { error in
            XCTAssertTrue(String(describing: error).contains("efficientnet-lite0"), "\(error)")
            XCTAssertTrue(String(describing: error).hasPrefix(cardFile.path), "\(error)")
        }
        try written.replacingOccurrences(of: "\"lse\"", with: "\"median\"").write(to: cardFile, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ChestModel.load(directory: directory))
        var badLSE = Self.card()
        badLSE.head.lseR = 0
        XCTAssertThrowsError(try ChestModel(card: badLSE))
        let model = try ChestModel(card: Self.card())
        XCTAssertThrowsError(try model.probabilities(images: [0, 1, 2], count: 1)) { error in
            XCTAssertTrue(String(describing: error).contains("3×32×32"), "\(error)")
        }
    }

    func testDefaultResolvesNextToTheExecutableOrAboveIt() throws {
        let root = try SharedData.temporaryDirectory("train-model-default")
        defer { try? FileManager.default.removeItem(at: root) }
        let bundled = root.appendingPathComponent("Models/default")
        try Self.card().write(directory: bundled)
        let executable = root.appendingPathComponent(".build/debug/thorax")
        let elsewhere = URL(fileURLWithPath: "/")
        XCTAssertEqual(try ModelDirectory.resolve("default", executable: executable, currentDirectory: elsewhere, environment: [:]).path,
                       bundled.path)
        XCTAssertEqual(try ModelDirectory.resolve("default", executable: nil, currentDirectory: root.appendingPathComponent("Sources"),
                                                  environment: [:]).path, bundled.path)
        let other = root.appendingPathComponent("other")
        try Self.card().write(directory: other)
        XCTAssertEqual(try ModelDirectory.resolve("default", executable: executable, currentDirectory: elsewhere,
                                                  environment: ["THORAX_DEFAULT_MODEL": other.path]).path, other.path)
        XCTAssertThrowsError(try ModelDirectory.resolve("default", executable: nil, currentDirectory: elsewhere, environment: [:]))
        XCTAssertThrowsError(try ModelDirectory.resolve(root.path, executable: nil, currentDirectory: elsewhere, environment: [:])) { error in
            XCTAssertTrue(String(describing: error).contains("not a model directory"), "\(error)")
        }
    }
}

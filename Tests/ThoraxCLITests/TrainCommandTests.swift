import CAD
import Foundation
import TestSupport
import XCTest

/// `thorax train` as a subprocess on the bundled samples (6 official train_val images trained
/// on, the 5 test images validated on): what it prints, the model directory and metrics it
/// writes with the head options given, and option errors named before anything runs.
final class TrainCommandTests: XCTestCase {
    func testTrainsOneEpochWithTheHeadOptionsGiven() throws {
        let directory = try SharedData.temporaryDirectory("train-command")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (database, _) = try BenchmarkCommandFixture.makeDatabase(in: directory)
        let output = directory.appendingPathComponent("run")
        let result = try ForwardCommandTests.run([
            "train", "--database", database, "--split", "official", "--train-part", "train_val", "--validation-part", "test",
            "--arch", "resnet18", "--size", "32", "--batch-size", "2", "--epochs", "1", "--transition-channels", "4",
            "--pooling", "max", "--optimizer", "sgd", "--learning-rate", "0.01", "--threads", "1", "--output", output.path,
        ])
        XCTAssertEqual(result.status, 0, result.error)
        let lines = result.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "training resnet18 on 6 images of official:train_val, validating on 5 of official:test; 3 batches per epoch")
        XCTAssertTrue(lines.count == 3 && lines[1].hasPrefix("epoch 1: train loss ") && lines[1].hasSuffix(" s waiting for the loader)"),
                      result.output)
        XCTAssertEqual(lines.last, "best model: \(output.path)/model; metrics: \(output.path)/metrics.csv, metrics.json, curves.svg")
        let card = try ModelCard.read(directory: output.appendingPathComponent("model"))
        XCTAssertEqual(card.head, ModelCard.Head(transitionChannels: 4, pooling: "max", lseR: 10))
        XCTAssertEqual(card.training?.optimizer, "sgd")
        XCTAssertNil(card.training?.dropConnect)
        XCTAssertEqual(try String(contentsOf: output.appendingPathComponent("metrics.csv"), encoding: .utf8)
            .split(separator: "\n").count, 2)
    }

    func testBadHeadAndDropConnectOptionsAreNamed() throws {
        let pooling = try ForwardCommandTests.run(["train", "--database", "none.sqlite", "--pooling", "median", "--output", "x"])
        XCTAssertNotEqual(pooling.status, 0)
        XCTAssertTrue(pooling.error.hasPrefix("Error: --pooling must be avg, max or lse, not 'median'\n"), pooling.error)
        let dropConnect = try ForwardCommandTests.run(["train", "--database", "none.sqlite", "--arch", "resnet18",
                                                       "--drop-connect", "0.2", "--output", "x"])
        XCTAssertNotEqual(dropConnect.status, 0)
        XCTAssertTrue(dropConnect.error.hasPrefix("Error: --drop-connect applies to efficientnet-lite0 only, not resnet18\n"),
                      dropConnect.error)
    }
}

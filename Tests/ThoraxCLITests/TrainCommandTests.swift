import Pipeline
import Foundation
import TestSupport
import Training
import XCTest

/// `thorax train` as a subprocess on the bundled samples (6 official train_val images trained
/// on, the 5 test images validated on): what it prints, the model directory and metrics it
/// writes with the head options given, option errors named before anything runs, and
/// `--resume` continuing the run saved in --output.
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
        XCTAssertEqual(card.head, ModelCard.Head(transitionChannels: 4, pooling: .maximum, lseR: 10))
        XCTAssertEqual(card.training?.optimizer, .sgd)
        XCTAssertNil(card.training?.dropConnect)
        XCTAssertEqual(try String(contentsOf: output.appendingPathComponent("metrics.csv"), encoding: .utf8)
            .split(separator: "\n").count, 2)
    }

    /// An epoch of a single batch (the run's first, which also builds the primitives) has a
    /// rate: that batch's own, not 0.
    func testAnEpochOfOneBatchHasARate() throws {
        let directory = try SharedData.temporaryDirectory("train-one-batch")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (database, _) = try BenchmarkCommandFixture.makeDatabase(in: directory)
        let output = directory.appendingPathComponent("run")
        let result = try ForwardCommandTests.run(["train", "--database", database] + Self.tinyRun
            + ["--batch-size", "6", "--epochs", "1", "--output", output.path])
        XCTAssertEqual(result.status, 0, result.error)
        let lines = result.output.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasSuffix("; 1 batch per epoch") == true, result.output)
        let epoch = try XCTUnwrap(lines.first { $0.hasPrefix("epoch 1: ") })
        let rate = try XCTUnwrap(epoch.range(of: #"[0-9.]+ images/s"#, options: .regularExpression).map { Double(epoch[$0].split(separator: " ")[0]) ?? 0 })
        XCTAssertGreaterThan(rate, 0, epoch)
    }

    func testBadHeadAndDropConnectOptionsAreNamed() throws {
        let pooling = try ForwardCommandTests.run(["train", "--database", "none.sqlite", "--pooling", "median", "--output", "x"])
        XCTAssertNotEqual(pooling.status, 0)
        XCTAssertTrue(pooling.error.hasPrefix("Error: The value 'median' is invalid for '--pooling <pooling>'. Please provide one of 'avg', 'max' or 'lse'.\n"),
                      pooling.error)
        let dropConnect = try ForwardCommandTests.run(["train", "--database", "none.sqlite", "--arch", "resnet18",
                                                       "--drop-connect", "0.2", "--output", "x"])
        XCTAssertNotEqual(dropConnect.status, 0)
        XCTAssertTrue(dropConnect.error.hasPrefix("Error: --drop-connect applies to efficientnet-lite0 only, not resnet18\n"),
                      dropConnect.error)
    }

    /// Options of a tiny deterministic run: EfficientNet-Lite0 (a quarter of ResNet-18's time in
    /// a debug build) at 32 pixels, batch 2 (3 batches per epoch), SGD, one thread.
    static let tinyRun = ["--arch", "efficientnet-lite0", "--size", "32", "--batch-size", "2", "--transition-channels", "4",
                          "--optimizer", "sgd", "--learning-rate", "0.01", "--threads", "1"]

    /// metrics.json's epochs without their timings (which differ from run to run).
    static func measuredEpochs(_ run: URL) throws -> [NSDictionary] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("metrics.json"))) as! [String: Any]
        return (json["epochs"] as! [[String: Any]]).map { epoch in
            NSDictionary(dictionary: epoch.filter { !["images_per_second", "seconds", "loader_wait_seconds"].contains($0.key) })
        }
    }

    /// One epoch on the default split (the official one db import-nih writes), then `--resume
    /// --epochs 2` with no other option: it continues after epoch 1 and step 3 with the run's
    /// options and database, and equals an uninterrupted 2-epoch run (metrics and checkpoint
    /// tensors). A conflicting option, a checkpoint without the run's record and a training
    /// image gone from disk are refused with one line, exit status 1.
    func testResumeContinuesTheRunWithItsOptionsAndRefusesConflicts() throws {
        let directory = try SharedData.temporaryDirectory("train-resume")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (database, images) = try BenchmarkCommandFixture.makeDatabase(in: directory)
        let resumed = directory.appendingPathComponent("resumed"), straight = directory.appendingPathComponent("straight")

        let first = try ForwardCommandTests.run(["train", "--database", database] + Self.tinyRun + ["--epochs", "1", "--output", resumed.path])
        XCTAssertEqual(first.status, 0, first.error)
        let firstLines = first.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(firstLines.first, "training efficientnet-lite0 on 6 images of official:train_val, validating on 5 of official:test; 3 batches per epoch")

        let conflict = try ForwardCommandTests.run(["train", "--output", resumed.path, "--resume", "--epochs", "2", "--batch-size", "4"])
        XCTAssertEqual(conflict.status, 1)
        XCTAssertEqual(conflict.error, "Error: --batch-size 4 conflicts with the run being resumed (2); leave it out to continue that run, or train a new one in another --output\n")
        let augmentation = try ForwardCommandTests.run(["train", "--output", resumed.path, "--resume", "--arch", "efficientnet-lite0", "--no-augmentation"])
        XCTAssertEqual(augmentation.status, 1)
        XCTAssertEqual(augmentation.error, "Error: --no-augmentation conflicts with the run being resumed (--augmentation); leave it out to continue that run, or train a new one in another --output\n")

        let second = try ForwardCommandTests.run(["train", "--output", resumed.path, "--resume", "--epochs", "2", "--threads", "1"])
        XCTAssertEqual(second.status, 0, second.error)
        let lines = second.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 5, second.output)
        XCTAssertEqual(lines.first, "resuming \(resumed.path) after epoch 1 of 2, 3 optimizer steps")
        XCTAssertEqual(lines.dropFirst().first, firstLines.first)
        XCTAssertEqual(lines.dropFirst(2).first, firstLines.dropFirst().first, "epoch 1 is the first run's record")
        XCTAssertTrue(lines.dropFirst(3).first?.hasPrefix("epoch 2: train loss ") == true, second.output)

        let uninterrupted = try ForwardCommandTests.run(["train", "--database", database] + Self.tinyRun + ["--epochs", "2", "--output", straight.path])
        XCTAssertEqual(uninterrupted.status, 0, uninterrupted.error)
        let epochs = try Self.measuredEpochs(resumed)
        XCTAssertEqual(epochs.map { $0["epoch"] as? Int }, [1, 2])
        XCTAssertEqual(epochs.map { $0["steps"] as? Int }, [3, 6])
        XCTAssertEqual(epochs, try Self.measuredEpochs(straight))
        func tensors(_ run: URL) throws -> Data {
            let data = try Data(contentsOf: run.appendingPathComponent("checkpoint/state.safetensors"))
            // After the header, which holds a per-save token.
            let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            return data.suffix(from: 8 + headerLength)
        }
        XCTAssertEqual(try tensors(resumed), try tensors(straight))

        let fewer = try ForwardCommandTests.run(["train", "--output", resumed.path, "--resume", "--epochs", "1"])
        XCTAssertEqual(fewer.status, 1)
        XCTAssertEqual(fewer.error, "Error: cannot resume: --epochs 1 is fewer than the 2 epochs the run has completed\n")

        // A checkpoint saved before runs recorded their database, split and labels.
        let state = resumed.appendingPathComponent("checkpoint/state.json")
        var record = try JSONSerialization.jsonObject(with: Data(contentsOf: state)) as! [String: Any]
        record["source"] = nil
        try JSONSerialization.data(withJSONObject: record).write(to: state)
        let old = try ForwardCommandTests.run(["train", "--output", resumed.path, "--resume", "--epochs", "3"])
        XCTAssertEqual(old.status, 1)
        XCTAssertEqual(old.error, "Error: cannot resume: \(state.path) was saved by an earlier thorax that did not record the run's database, split and labels; train a new run in another --output\n")

        // A training image gone from disk: the run's data order would not continue.
        try FileManager.default.removeItem(at: images.appendingPathComponent("00000103_000.png"))
        let changed = try ForwardCommandTests.run(["train", "--output", straight.path, "--resume", "--epochs", "3"])
        XCTAssertEqual(changed.status, 1)
        XCTAssertEqual(changed.error, "Error: cannot resume: the training part official:train_val gives 5 images with a file on disk, the run was given 6; resume with the database and images the run was trained on\n")
    }

    /// The default parts follow the split; a split, part or database that does not exist is
    /// named (with the commands that make splits), and no database file is created.
    func testMissingSplitNamesTheCommandsThatMakeOne() throws {
        let directory = try SharedData.temporaryDirectory("train-nosplit")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (database, _) = try BenchmarkCommandFixture.makeDatabase(in: directory)
        let result = try ForwardCommandTests.run(["train", "--database", database, "--split", "tuning", "--output", directory.path + "/run"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.error, "Error: \(database) has no split 'tuning': `thorax db import-nih` writes 'official' (parts train_val, test), `thorax db split --name tuning` makes a patient-level split\n")
        // Another split's parts default to train and validation.
        let split = try ForwardCommandTests.run(["db", "split", "--database", database, "--name", "halves", "--ratios", "50,50"])
        XCTAssertEqual(split.status, 0, split.error)
        let part = try ForwardCommandTests.run(["train", "--database", database, "--split", "halves", "--output", directory.path + "/run"])
        XCTAssertEqual(part.status, 1)
        XCTAssertEqual(part.error, "Error: --validation-part: split 'halves' of \(database) has no part 'validation' (it has test, train)\n")
        let missing = try ForwardCommandTests.run(["train", "--database", directory.path + "/none.sqlite", "--output", directory.path + "/run"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.error, "Error: \(directory.path)/none.sqlite: no such database file (`thorax db import-nih`, `thorax db import-dicom` or `thorax db import-reports` creates one)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path + "/none.sqlite"))
    }
}

import Pipeline
import Training
import Foundation
import Store
import TestSupport
import XCTest

/// Tiny real training runs (EfficientNet-Lite0 at 32×32 on a few real NIH images): the loss
/// falls, the documented outputs are written, a resumed run equals an uninterrupted one, and a
/// diverging run stops with a clear error.
final class TrainEndToEndTests: XCTestCase {
    /// A database of real NIH images from images-256: MANIFEST rows `train` as the official
    /// train_val part, rows `validation` as its test part (only these images are imported).
    static func database(train: Range<Int>, validation: Range<Int>, in folder: URL) throws -> ThoraxDatabase {
        guard let images = SharedData.url("nih/images-256"), let entries = SharedData.url("nih/Data_Entry_2017_v2020.csv"),
              let manifest = try? String(contentsOf: images.appendingPathComponent("MANIFEST.csv"), encoding: .utf8) else {
            throw XCTSkip("the shared data's nih (THORAX_SHARED_DATA) is not available")
        }
        let names = manifest.split(whereSeparator: \.isNewline).dropFirst().map { String($0.prefix { $0 != "," }) }
        let trainNames = names[train], validationNames = names[validation]
        let wanted = Set(trainNames + validationNames)
        let lines = try String(contentsOf: entries, encoding: .utf8).split(whereSeparator: \.isNewline)
        let rows = lines.dropFirst().filter { wanted.contains(String($0.prefix { $0 != "," })) }
        func write(_ name: String, _ text: String) throws -> URL {
            let url = folder.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url
        }
        let release = try NIHRelease.read(
            dataEntry: write("entries.csv", ([String(lines[0])] + rows.map(String.init)).joined(separator: "\n") + "\n"),
            boxes: write("boxes.csv", "Image Index,Finding Label,Bbox [x,y,w,h],,,\n"),
            trainValidationList: write("train.txt", trainNames.joined(separator: "\n") + "\n"),
            testList: write("test.txt", validationNames.joined(separator: "\n") + "\n"))
        let database = try ThoraxDatabase(path: folder.appendingPathComponent("test.sqlite").path)
        try database.importNIH(release, imagesDirectory: images)
        return database
    }

    static func options(epochs: Int = 2) -> TrainingOptions {
        var options = TrainingOptions()
        options.architecture = .efficientnetLite0
        options.transitionChannels = 8
        options.inputSize = 32
        options.batchSize = 2
        options.epochs = epochs
        options.learningRate = 1e-3
        options.seed = 3
        return options
    }

    static let source = TrainingSource(database: "test", split: "test", trainPart: "train", validationPart: "validation")

    var folder: URL!
    var database: ThoraxDatabase!

    override func setUpWithError() throws {
        folder = try SharedData.temporaryDirectory("train-e2e-data")
        database = try Self.database(train: 0 ..< 4, validation: 20 ..< 26, in: folder)
    }

    override func tearDownWithError() throws {
        database = nil
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    func trainer(_ options: TrainingOptions, output: URL, resume: Bool = false) throws -> TrainingRun {
        try TrainingRun(options: options, source: Self.source,
                    trainingImages: database.labelledImages(split: "official", part: "train_val"),
                    validationImages: database.labelledImages(split: "official", part: "test"),
                    output: output, resume: resume, thoraxVersion: "test")
    }

    func testLossFallsAndOutputsAreWritten() throws {
        let output = try SharedData.temporaryDirectory("train-e2e")
        defer { try? FileManager.default.removeItem(at: output) }
        var options = Self.options(epochs: 4)
        options.augment = false
        var reports = 0
        let records = try trainer(options, output: output).run { _ in reports += 1 }
        XCTAssertEqual(records.count, 4)
        XCTAssertGreaterThan(reports, 8)
        XCTAssertLessThan(records[3].trainLoss, records[0].trainLoss, "training loss falls on 4 images: \(records.map(\.trainLoss))")
        XCTAssertEqual(records.map(\.steps), [2, 4, 6, 8])

        let model = try ChestModel.load(directory: output.appendingPathComponent("model"))
        XCTAssertEqual(model.card.architecture, .efficientnetLite0)
        XCTAssertEqual(model.card.training?.trainImages, 4)
        XCTAssertEqual(model.card.training?.validationImages, 6)
        XCTAssertEqual(model.card.metrics?.auc.count, 14)
        let best = try XCTUnwrap(model.card.training?.bestEpoch)
        XCTAssertEqual(model.card.metrics?.meanAUC, records[best - 1].meanAUC)

        let csv = try String(contentsOf: output.appendingPathComponent("metrics.csv"), encoding: .utf8).split(whereSeparator: \.isNewline)
        XCTAssertEqual(csv.count, 5)
        XCTAssertTrue(csv[0].hasPrefix("epoch,steps,learning_rate,train_loss,validation_loss,mean_auc,images_per_second,seconds,loader_wait_seconds,auc_Atelectasis,"))
        let fields = csv[1].split(separator: ",", omittingEmptySubsequences: false)
        XCTAssertEqual(fields.count, 9 + 14)
        XCTAssertGreaterThanOrEqual(Double(fields[8]) ?? -1, 0, "loader wait seconds: \(fields[8])")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent("metrics.json"))) as! [String: Any]
        XCTAssertEqual((json["epochs"] as! [[String: Any]]).count, 4)
        XCTAssertEqual(json["best_epoch"] as? Int, best)
        XCTAssertEqual((json["classes"] as! [String]).first, "Atelectasis")
        let svg = try String(contentsOf: output.appendingPathComponent("curves.svg"), encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg"))
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 3, "training loss, validation loss, mean AUC")
        XCTAssertTrue(svg.hasSuffix("</svg>\n"))
    }

    /// One uninterrupted run of 2 epochs against one stopped by an iteration limit in the middle of
    /// the second epoch and resumed: equal weights, equal records.
    func testResumedRunEqualsUninterruptedRun() throws {
        let straight = try SharedData.temporaryDirectory("train-straight")
        let interrupted = try SharedData.temporaryDirectory("train-resumed")
        defer {
            try? FileManager.default.removeItem(at: straight)
            try? FileManager.default.removeItem(at: interrupted)
        }
        var options = Self.options(epochs: 2)
        options.optimizer = .sgd
        options.learningRate = 0.01
        // Drop connect draws its masks per batch: the resumed run must draw the same ones.
        options.dropConnect = 0.5
        let expected = try trainer(options, output: straight).run()
        XCTAssertEqual(try ModelCard.read(directory: straight.appendingPathComponent("model")).training?.dropConnect, 0.5)

        var stopped = options
        stopped.iterations = 3
        let partial = try trainer(stopped, output: interrupted).run()
        XCTAssertEqual(partial.count, 1)
        let resumed = try trainer(options, output: interrupted, resume: true).run()
        XCTAssertEqual(resumed.map(\.trainLoss), expected.map(\.trainLoss))
        XCTAssertEqual(resumed.map(\.validationAUC), expected.map(\.validationAUC))
        let a = try Data(contentsOf: straight.appendingPathComponent("checkpoint/state.safetensors"))
        let b = try Data(contentsOf: interrupted.appendingPathComponent("checkpoint/state.safetensors"))
        XCTAssertEqual(a.count, b.count)
        // Same tensors byte for byte after the header (the header holds a per-save token).
        let headerEnd = 8 + Int(a.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        XCTAssertEqual(a.suffix(from: headerEnd), b.suffix(from: headerEnd))
    }

    func testDivergingRunStopsWithAClearError() throws {
        let output = try SharedData.temporaryDirectory("train-nan")
        defer { try? FileManager.default.removeItem(at: output) }
        var options = Self.options(epochs: 3)
        options.optimizer = .sgd
        options.learningRate = 1e30
        XCTAssertThrowsError(try trainer(options, output: output).run()) { error in
            guard case TrainingError.nonFiniteLoss = error else { return XCTFail("\(error)") }
            XCTAssertTrue(String(describing: error).contains("NaN or infinite"), "\(error)")
        }
    }

    func testBadOptionsAndResumeWithoutCheckpointAreNamed() throws {
        var options = Self.options()
        // Names are types: a checkpoint or card with an unknown one does not decode, and says which.
        var stored = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(options)) as? [String: Any])
        stored["pooling"] = "median"
        XCTAssertThrowsError(try JSONDecoder().decode(TrainingOptions.self, from: JSONSerialization.data(withJSONObject: stored))) {
            XCTAssertTrue(String(describing: $0).contains("median"), "\($0)")
        }
        stored["pooling"] = "lse"
        stored["architecture"] = "vgg16"
        XCTAssertThrowsError(try JSONDecoder().decode(TrainingOptions.self, from: JSONSerialization.data(withJSONObject: stored))) {
            XCTAssertTrue(String(describing: $0).contains("unknown architecture 'vgg16'; choose one of: "), "\($0)")
        }
        options = Self.options()
        options.inputSize = 100
        XCTAssertThrowsError(try options.validate()) { XCTAssertTrue(String(describing: $0).contains("multiple of 32")) }
        options = Self.options()
        options.dropConnect = 1
        XCTAssertThrowsError(try options.validate()) { XCTAssertEqual(String(describing: $0), "drop connect must be in [0, 1), got 1.0") }
        options.dropConnect = 0.2
        options.architecture = .resnet18
        XCTAssertThrowsError(try options.validate()) {
            XCTAssertEqual(String(describing: $0), "drop connect applies to efficientnet-lite0 only, not resnet18")
        }
        let output = try SharedData.temporaryDirectory("train-noresume")
        defer { try? FileManager.default.removeItem(at: output) }
        XCTAssertThrowsError(try trainer(Self.options(), output: output, resume: true)) { error in
            XCTAssertTrue(String(describing: error).contains("cannot resume"), "\(error)")
        }
    }
}

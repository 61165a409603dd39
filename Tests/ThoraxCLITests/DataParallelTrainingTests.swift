import Foundation
import SafeTensors
import TestSupport
import XCTest

/// `mpirun -np N thorax train` against one process on the bundled samples (6 train_val images
/// trained on, the 5 test images validated on): ResNet-18 at 32 pixels (batch norm after every
/// convolution), one thread per rank, a global batch of 5 (shares of 3 and 2, or 2, 2 and 1, so
/// uneven shares are weighted as they must be), one optimizer step per epoch, validation after
/// each.
///
/// The tolerance: weights and running statistics within 1e-4 of each tensor's largest magnitude
/// (at least 1). N ranks compute the one-process sums in another order — each rank's
/// convolutions sum the weight gradients of its own images, and the allreduce adds the ranks'
/// partial sums in float32 — so a gradient element differs by a few roundings of its terms
/// (ε = 6·10⁻⁸ each; batch norm's moments are summed in double). The next step's activations
/// then differ by as little, which can tip a near-tie in max pooling or a value at a ReLU's kink
/// the other way and change one gradient element by up to its whole size; in these runs that
/// moves a weight by up to 3·10⁻⁵. Batch norm over each rank's own share instead moves them by
/// about 0.8, which the same comparison must catch. The optimizer's momentum (the gradients
/// themselves, where such a tipped element shows undamped) is not compared.
final class DataParallelTrainingTests: XCTestCase {
    static let tolerance = 1e-4

    /// With --sync-batchnorm, one epoch on two ranks and, resumed, one on three ranks equal two
    /// epochs of one process (weights, running statistics, metrics); only rank 0 prints. Without
    /// it the weights differ — by batch-norm statistics alone: with frozen batch norm (running
    /// statistics in training) two ranks again equal one process.
    func testRanksTrainAsOneProcess() throws {
        let directory = try SharedData.temporaryDirectory("train-mpi")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (database, _) = try BenchmarkCommandFixture.makeDatabase(in: directory)
        func run(_ name: String, ranks: Int?, _ options: [String], resume: Bool = false) throws -> (run: URL, output: String) {
            let output = directory.appendingPathComponent(name)
            let arguments = resume ? ["train", "--output", output.path, "--resume", "--threads", "1"] + options
                : ["train", "--database", database] + Self.run + options + ["--output", output.path]
            let result = try MPIRunOfThorax.launch(ranks: ranks, arguments, timeout: 180)
            XCTAssertFalse(result.timedOut, "\(name) did not finish:\n\(result.output)\n\(result.error)")
            XCTAssertEqual(result.status, 0, "\(name):\n\(result.output)\n\(result.error)")
            return (output, result.output)
        }
        let single = try run("single-sync", ranks: nil, ["--sync-batchnorm", "--epochs", "2"])
        let first = try run("ranks-sync", ranks: 2, ["--sync-batchnorm", "--epochs", "1"])
        let singleLines = single.output.split(separator: "\n").map(String.init)
        let lines = first.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, singleLines.first, "rank 0 prints the run's first line, once")
        XCTAssertEqual(lines.dropFirst().first, "data-parallel over 2 ranks: global batch 5, 2–3 images per rank, batch norm synchronized over the ranks")
        XCTAssertEqual(lines.filter { $0.hasPrefix("training ") }.count, 1, first.output)
        XCTAssertEqual(lines.filter { $0.hasPrefix("epoch ") }.count, 1, first.output)
        let afterOneEpoch = directory.appendingPathComponent("ranks-sync-epoch-1")
        try FileManager.default.copyItem(at: first.run, to: afterOneEpoch)
        let resumed = try run("ranks-sync", ranks: 3, ["--epochs", "2"], resume: true)
        XCTAssertTrue(resumed.output.hasPrefix("resuming \(first.run.path) after epoch 1 of 2, 1 optimizer steps\n"), resumed.output)
        XCTAssertTrue(resumed.output.contains("data-parallel over 3 ranks: global batch 5, 1–2 images per rank"), resumed.output)
        try assertSameRun(resumed.run, single.run, "an epoch on 2 ranks, then one on 3, synchronized batch norm")

        let perRank = try run("ranks-batch", ranks: 2, ["--epochs", "1"])
        XCTAssertGreaterThan(try largestDifference(perRank.run, afterOneEpoch), 100 * Self.tolerance,
                             "batch norm with each rank's statistics trains otherwise than one process")

        let frozenSingle = try run("single-frozen", ranks: nil, ["--freeze-batchnorm", "--epochs", "1"])
        let frozenRanks = try run("ranks-frozen", ranks: 2, ["--freeze-batchnorm", "--epochs", "1"])
        try assertSameRun(frozenRanks.run, frozenSingle.run, "2 ranks, frozen batch norm")
    }

    /// Options of the runs: as `TrainCommandTests.tinyRun` but ResNet-18 and a global batch of 5.
    static let run = ["--arch", "resnet18", "--size", "32", "--batch-size", "5", "--transition-channels", "4",
                      "--optimizer", "sgd", "--learning-rate", "0.01", "--threads", "1"]

    /// The checkpoints' weights and running statistics agree within the tolerance, and so do the
    /// metrics of every epoch.
    func assertSameRun(_ run: URL, _ reference: URL, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let difference = try largestDifference(run, reference)
        XCTAssertLessThanOrEqual(difference, Self.tolerance, "\(what): weights and running statistics", file: file, line: line)
        let epochs = try TrainCommandTests.measuredEpochs(run), expected = try TrainCommandTests.measuredEpochs(reference)
        XCTAssertEqual(epochs.count, expected.count, what, file: file, line: line)
        for (epoch, (mine, theirs)) in zip(epochs, expected).enumerated() {
            XCTAssertEqual(mine["steps"] as? Int, theirs["steps"] as? Int, "\(what): epoch \(epoch + 1) steps", file: file, line: line)
            for key in ["train_loss", "validation_loss", "mean_auc"] {
                let a = mine[key] as? Double ?? .nan, b = theirs[key] as? Double ?? .nan
                XCTAssertEqual(a, b, accuracy: Self.tolerance * max(1, abs(b)), "\(what): epoch \(epoch + 1) \(key)", file: file, line: line)
            }
            XCTAssertEqual((mine["validation_auc"] as? [Any])?.count, 14, what, file: file, line: line)
        }
    }

    /// The largest difference between the two checkpoints' weights and running statistics, each
    /// relative to its tensor's largest magnitude (at least 1).
    func largestDifference(_ run: URL, _ reference: URL) throws -> Double {
        let mine = try SafeTensorsFile(contentsOf: run.appendingPathComponent("checkpoint/state.safetensors"))
        let theirs = try SafeTensorsFile(contentsOf: reference.appendingPathComponent("checkpoint/state.safetensors"))
        XCTAssertEqual(mine.names.sorted(), theirs.names.sorted())
        let compared = theirs.floatNames.filter { !$0.hasPrefix("optimizer.") }
        XCTAssertTrue(compared.contains("conv1.weight") && compared.contains("layer4.1.bn2.running_var"), "\(compared)")
        var largest = 0.0
        for name in compared {
            let a = try mine.tensor(name).values, b = try theirs.tensor(name).values
            XCTAssertEqual(a.count, b.count, name)
            let scale = max(1, Double(b.map(abs).max() ?? 0))
            largest = max(largest, (zip(a, b).map { Double(abs($0 - $1)) }.max() ?? 0) / scale)
        }
        return largest
    }

    /// A setup that fails on one rank only (its database is missing) ends every rank at once
    /// with that rank's one message, naming it; a failure during training on one rank (its
    /// learning rate, given apart, blows its weights up, and its loss becomes infinite while
    /// rank 0 waits in the next collective) ends every rank within seconds with its message.
    func testAFailureOnOneRankEndsEveryRankWithItsMessage() throws {
        let directory = try SharedData.temporaryDirectory("train-mpi-failure")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (database, _) = try BenchmarkCommandFixture.makeDatabase(in: directory)
        let missing = directory.appendingPathComponent("missing.sqlite").path
        func arguments(_ database: String, _ output: String, learningRate: String = "0.01") -> [String] {
            ["train", "--database", database, "--arch", "resnet18", "--size", "32", "--batch-size", "2", "--transition-channels", "4",
             "--optimizer", "sgd", "--learning-rate", learningRate, "--threads", "1", "--freeze-batchnorm", "--epochs", "1",
             "--output", directory.appendingPathComponent(output).path]
        }
        let setup = try MPIRunOfThorax.launch(programs: [arguments(database, "setup"), arguments(missing, "setup")], timeout: 60)
        XCTAssertFalse(setup.timedOut, "a rank hung after rank 1's setup failed:\n\(setup.error)")
        XCTAssertNotEqual(setup.status, 0, setup.error)
        XCTAssertEqual(setup.output, "", "no rank trains")
        XCTAssertEqual(setup.error.components(separatedBy: missing).count - 1, 1, setup.error)
        XCTAssertTrue(setup.error.hasPrefix("Error: rank 1 of 2: "), setup.error)

        let training = try MPIRunOfThorax.launch(programs: [arguments(database, "training"),
                                                            arguments(database, "training", learningRate: "1e30")], timeout: 120)
        XCTAssertFalse(training.timedOut, "a rank hung after rank 1 failed in training:\n\(training.error)")
        XCTAssertNotEqual(training.status, 0, training.error)
        XCTAssertEqual(training.error.components(separatedBy: "the loss became NaN or infinite").count - 1, 1, training.error)
        XCTAssertTrue(training.error.contains("Error: rank 1 of 2: the loss became NaN or infinite in epoch 1, batch 2"), training.error)
    }

    /// `thorax eval` on two ranks prints exactly what one process prints (the same probabilities,
    /// gathered in order: the same AUCs and intervals).
    func testEvaluationOnTwoRanksEqualsOneProcess() throws {
        let directory = try SharedData.temporaryDirectory("eval-mpi")
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try BenchmarkCommandFixture.makeModel(in: directory)
        let (database, _) = try BenchmarkCommandFixture.makeDatabase(in: directory)
        let arguments = ["eval", "--model", model.path, "--database", database, "--split", "official:train_val", "--json",
                         "--resamples", "50"]
        let single = try MPIRunOfThorax.launch(ranks: nil, arguments, timeout: 120)
        XCTAssertEqual(single.status, 0, single.error)
        let ranks = try MPIRunOfThorax.launch(ranks: 2, arguments, timeout: 120)
        XCTAssertFalse(ranks.timedOut, ranks.error)
        XCTAssertEqual(ranks.status, 0, ranks.error)
        XCTAssertTrue(single.output.contains("\"table\""), single.output)
        XCTAssertEqual(ranks.output, single.output)
    }
}

/// `thorax` as a subprocess, alone or under `mpirun -np N` (one thread per rank).
struct MPIRunOfThorax {
    let status: Int32
    let output: String
    let error: String
    let timedOut: Bool

    /// Runs one rank per entry of `programs`, each `thorax` with its own arguments (`mpirun
    /// -np 1 thorax A : -np 1 thorax B`), as `launch(ranks:_:timeout:)` does.
    static func launch(programs: [[String]], timeout: Double) throws -> MPIRunOfThorax {
        let thorax = try ForwardCommandTests.thorax.path
        let launches = programs.map { ["-np", "1", thorax] + $0 }.joined(separator: [":"])
        return try launch(mpirun: ["--oversubscribe", "-x", "OMP_NUM_THREADS=1"] + (getuid() == 0 ? ["--allow-run-as-root"] : [])
                              + launches, timeout: timeout)
    }

    /// Runs `thorax arguments…` (with `ranks`, under `mpirun --oversubscribe -np ranks`) with
    /// OMP_NUM_THREADS=1, waiting at most `timeout` seconds; past it, terminates it (mpirun ends
    /// its ranks) and reports the timeout.
    static func launch(ranks: Int?, _ arguments: [String], timeout: Double) throws -> MPIRunOfThorax {
        guard let ranks else { return try launch(mpirun: nil, arguments: arguments, timeout: timeout) }
        return try launch(mpirun: ["--oversubscribe", "-np", "\(ranks)", "-x", "OMP_NUM_THREADS=1"]
                              + (getuid() == 0 ? ["--allow-run-as-root"] : []) + [try ForwardCommandTests.thorax.path] + arguments,
                          timeout: timeout)
    }

    /// `mpirun` with `mpirun` arguments, or (nil) `thorax` with `arguments`.
    private static func launch(mpirun mpirunArguments: [String]?, arguments: [String] = [], timeout: Double) throws -> MPIRunOfThorax {
        let directory = try SharedData.temporaryDirectory("thorax-run")
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputFile = directory.appendingPathComponent("stdout"), errorFile = directory.appendingPathComponent("stderr")
        for file in [outputFile, errorFile] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        let output = try FileHandle(forWritingTo: outputFile), error = try FileHandle(forWritingTo: errorFile)
        defer { try? output.close(); try? error.close() }
        let process = Process()
        if let mpirunArguments {
            let search = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
            guard let mpirun = search.map({ "\($0)/mpirun" }).first(where: FileManager.default.isExecutableFile(atPath:)) else {
                throw FixtureError("mpirun is not on PATH (scripts/install-deps installs openmpi-bin)")
            }
            // --oversubscribe: more ranks than cores is fine for a check; root (CI) must say so.
            process.executableURL = URL(fileURLWithPath: mpirun)
            process.arguments = mpirunArguments
        } else {
            process.executableURL = try ForwardCommandTests.thorax
            process.arguments = arguments
        }
        process.environment = ProcessInfo.processInfo.environment.merging(["OMP_NUM_THREADS": "1"]) { $1 }
        process.standardOutput = output
        process.standardError = error
        let timedOut = try process.runUntilExit(timeout: timeout)
        return MPIRunOfThorax(status: process.terminationStatus,
                              output: String(decoding: try Data(contentsOf: outputFile), as: UTF8.self),
                              error: String(decoding: try Data(contentsOf: errorFile), as: UTF8.self), timedOut: timedOut)
    }
}

import ArgumentParser
import Distributed
import Pipeline
import Evaluation
import Foundation
import Reporting
import Store

/// `thorax eval`: the paper's classification benchmark on a split part of the database.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "ROC AUC per class with 95% bootstrap intervals on a split of the database.",
        discussion: """
        Classifies every image of the split part that is on disk and compares the probabilities \
        with the images' labels: AUC per class with a percentile bootstrap interval over images, \
        the mean over classes with a defined AUC, the number of positives, and the table in the \
        paper's layout. A class without positives (or negatives) has an undefined AUC. Images \
        missing on disk are skipped and counted; unreadable files are named on standard error \
        (exit status 1). With --store-predictions, the probabilities of the evaluated images \
        are also stored in the database, as `predict --database` stores them.

        Started by mpirun or srun, the ranks share the images (each classifies every N-th) and \
        rank 0 gathers the probabilities and reports, with the same figures as one process.

        Example:
          thorax eval --database thorax.sqlite --split official:test --roc roc.svg
        """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "The database file (it must exist).")
    var database: String = ThoraxDatabase.defaultFileName

    @Option(help: "Split and part to evaluate on, NAME:PART (e.g. official:test).")
    var split: String

    @Option(help: "Whose labels are the truth: nih, labeller, human, or model:ID (a stored model's thresholded predictions).")
    var labels: String = "nih"

    @Flag(help: "Print JSON (table, ROC curve points, counts) instead of tables.")
    var json = false

    @Option(help: "Write the ROC curves as an SVG image to this file.")
    var roc: String?

    @Option(help: "Bootstrap resamples for the intervals.")
    var resamples: Int = 1000

    @Option(help: "Seed of the bootstrap.")
    var seed: UInt64 = 0

    @Flag(help: "Store the evaluated images' probabilities, and the classes at or above their thresholds as labels of source model, in the database (one transaction; a rerun replaces them).")
    var storePredictions = false

    @Option(help: "Score the probabilities stored for this model id (e.g. a cross-validated run's out-of-fold predictions, which `thorax train --folds` stores) instead of running --model; `thorax db stats` lists the ids.")
    var stored: Int64?

    func validate() throws {
        let parts = split.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ValidationError("--split must be NAME:PART, e.g. official:test; got '\(split)'")
        }
        guard resamples > 0 else { throw ValidationError("--resamples must be positive") }
        if stored != nil, storePredictions { throw ValidationError("--stored scores predictions already stored; leave out --store-predictions") }
    }

    func run() throws {
        if let stored { return try scoreStored(modelID: stored) }
        guard Communicator.isDistributed() else {
            let prepared = try prepare(rank: 0)
            let line = ProgressLine("eval", total: prepared.images.count, unit: "images")
            let report = try prepared.runner.run(images: prepared.images, progress: { done, _ in line.update(done) })
            line.finish()
            return try self.report(report, prepared)
        }
        // Under mpirun or srun each rank classifies its share; rank 0 reports (DistributedRun).
        try DistributedRun.run(prepare: { try prepare(rank: $0.rank) }, work: { prepared, communicator in
            let line = ProgressLine("eval (rank 0's share)", unit: "images", enabled: communicator.rank == 0 ? nil : false)
            let report = try prepared.runner.run(images: prepared.images, communicator: communicator,
                                                 progress: { done, _ in line.update(done) })
            line.finish()
            guard let report else { return .success }
            do {
                try self.report(report, prepared)
            } catch let status as ExitCode {
                return status  // unreadable files were named; the others were evaluated
            }
            return .success
        })
    }

    /// What evaluating needs, checked and loaded.
    struct Prepared {
        let store: ThoraxDatabase
        let images: [LabelledImage]
        let runner: EvaluationRunner
        let name: String
    }

    /// Everything is checked before the model loads, so a mistake fails at once; only `rank` 0
    /// opens the database for writing.
    func prepare(rank: Int) throws -> Prepared {
        try modelOptions.requireModel()
        if let roc { try requireOutputFile(roc, option: "--roc") }
        let parts = split.split(separator: ":").map(String.init)
        let store = try ThoraxDatabase(existingAt: database, access: storePredictions && rank == 0 ? .update : .read)
        try requireSplit(parts[0], parts: [("--split", parts[1])], in: store, path: database)
        let images = try store.labelledImages(split: parts[0], part: parts[1], source: labels)
        try requireLabels(images, split: parts[0], part: parts[1], source: labels, path: database)
        try requireFilesOnDisk(images.filter { $0.labels.contains { $0 != -1 } }, of: split, path: database)
        let (model, name) = try modelOptions.load()
        let runner = EvaluationRunner(classifier: model, modelName: name,
                                      bootstrap: BootstrapOptions(resamples: resamples, seed: seed))
        return Prepared(store: store, images: images, runner: runner, name: name)
    }

    /// `--stored`: the report of the stored probabilities of model `modelID` on the split part.
    private func scoreStored(modelID: Int64) throws {
        if let roc { try requireOutputFile(roc, option: "--roc") }
        let parts = split.split(separator: ":").map(String.init)
        let store = try ThoraxDatabase(existingAt: database, access: .read)
        try requireSplit(parts[0], parts: [("--split", parts[1])], in: store, path: database)
        let images = try store.labelledImages(split: parts[0], part: parts[1], source: labels)
        try requireLabels(images, split: parts[0], part: parts[1], source: labels, path: database)
        let predictions = try store.storedPredictions(modelID: modelID, imageIDs: images.map(\.id))
        let name = "stored model \(modelID)"
        let report = try EvaluationRunner.report(stored: predictions, images: images, modelName: name,
                                                 bootstrap: BootstrapOptions(resamples: resamples, seed: seed))
        if let roc {
            try ROCCurveSVG(title: "ROC curves: \(name) on \(split)", evaluation: report.evaluation)
                .write(to: URL(fileURLWithPath: roc))
        }
        try printResult(report.json, json: json, text: report.text, failures: [])
    }

    /// Stores, draws and prints the report.
    private func report(_ report: EvaluationReport, _ prepared: Prepared) throws {
        if storePredictions {
            try storeModelPredictions(report.probabilities, model: modelOptions.model, in: prepared.store, path: database)
        }
        if let roc {
            try ROCCurveSVG(title: "ROC curves: \(prepared.name) on \(split)", evaluation: report.evaluation)
                .write(to: URL(fileURLWithPath: roc))
        }
        try printResult(report.json, json: json, text: report.text, failures: report.failures)
    }
}

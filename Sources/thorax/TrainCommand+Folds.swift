import ArgumentParser
import Distributed
import Evaluation
import Foundation
import Pipeline
import Reporting
import Store
import Tensor
import Training

extension ThresholdRule: ExpressibleByArgument {}

/// `--score-standardization`: whether a cross-validated run standardizes each network's
/// scores on its own training films (`ModelCard.ScoreStandardization`).
enum ScoreStandardizationChoice: String, CaseIterable, ExpressibleByArgument {
    case trainingFilms = "training-films"
    case none
}

extension TrainCommand {
    /// The cross-validation flags together: --ensemble, --threshold-rule, --members,
    /// --score-standardization and --commit need --folds, which takes no --validation-part and
    /// no data-parallel launch.
    func validateFolds() throws {
        guard let folds else {
            if ensemble || thresholdRule != nil || commit != nil || members != nil || scoreStandardization != nil {
                throw ValidationError("--ensemble, --threshold-rule, --members, --score-standardization and --commit apply to a cross-validated run: give --folds K")
            }
            return
        }
        guard folds >= 2 else { throw ValidationError("--folds must be at least 2, got \(folds)") }
        if let members, members < 1 { throw ValidationError("--members must be at least 1, got \(members)") }
        if validationPart != nil { throw ValidationError("--folds validates on the folds of --train-part; leave out --validation-part") }
    }

    /// `--folds K`: the cross-validated run (`CrossValidationRun`), its out-of-fold
    /// predictions stored in the database under the model it writes, and its figures printed.
    func crossValidate(folds: Int) throws {
        if Communicator.isDistributed() { throw ValidationError("--folds runs in one process; start it without mpirun or srun") }
        let outputURL = URL(fileURLWithPath: output)
        let firstFold = outputURL.appendingPathComponent(CrossValidationRun.foldFolder(1))
        if resume && !TrainingRun.hasCheckpoint(firstFold) {
            throw InputFileError("\(output) holds no cross-validated run to resume (no \(CrossValidationRun.foldFolder(1))/checkpoint in it)")
        }
        // Resuming: options left out take the first fold's record; every fold checks its own.
        let saved = resume ? try SavedRun(output: firstFold) : nil
        // What the run's card says (nil before an interrupted first run wrote one).
        let savedCard = resume ? try Self.savedCrossValidation(outputURL) : nil
        if let saved { try requireSameFolds(folds, saved: saved, card: savedCard, output: outputURL) }
        let memberCount = members ?? savedCard?.members ?? 1
        if let savedCard, memberCount < savedCard.members ?? 1 {
            let recorded = savedCard.members ?? 1
            throw InputFileError("\(output) holds a run of \(recorded) networks per fold: resume it with --members \(recorded) or more")
        }
        let standardize = (scoreStandardization ?? (savedCard?.scoreStandardization == nil ? .none : .trainingFilms)) == .trainingFilms
        let options = self.options(over: saved?.options ?? Self.defaults)
        let source = self.source(over: saved?.source ?? Self.defaultSource(split: split ?? ThoraxDatabase.officialSplit))
        try options.validate()
        if !resume { try Self.requireNewRunFolder(output) }
        if let weights = options.initialWeights { try requireInputFile(weights, option: "--initial-weights") }
        let store = try ThoraxDatabase(existingAt: source.database, access: .update)
        try requireSplit(source.split, parts: [("--train-part", source.trainPart)], in: store, path: source.database)
        let images = try store.labelledImages(split: source.split, part: source.trainPart, source: source.labels)
        try requireLabels(images, split: source.split, part: source.trainPart, source: source.labels, path: source.database)
        let patients = try store.patientIdentifiers(ofImages: images.filter { $0.path != nil }.map(\.id))
        let warnings = WarningCounter()
        let run = try CrossValidationRun(
            options: options, source: source, images: images, patients: patients,
            settings: .init(folds: folds, ensemble: ensemble, thresholdRule: thresholdRule ?? .maximumF1, commit: commit,
                            resume: resume, members: memberCount, standardizeScores: standardize,
                            engineOptions: EngineOptions(threads: threads)),
            output: outputURL, thoraxVersion: ThoraxVersion.string, warning: { warnings.record($0) })
        warnings.report()
        for (index, fold) in run.folds.folds.enumerated() {
            print("fold \(index + 1): \(fold.count) films of \(run.folds.patientCounts[index]) patients")
        }
        var line: ProgressLine?
        var lineKey = ""
        let outcome = try run.run { step, progress in
            var name = step.fold > folds ? "all films" : "fold \(step.fold)/\(folds)"
            if memberCount > 1 { name += " network \(step.member)/\(memberCount)" }
            let key = "\(step.fold) \(step.member) \(progress.epoch) \(progress.phase)"
            if key != lineKey {
                line?.finish()
                let label = progress.phase == .training ? "\(name) epoch \(progress.epoch)/\(progress.epochs)" : "\(name) validation \(progress.epoch)"
                line = ProgressLine(label, total: progress.batches, unit: "batches")
                lineKey = key
            }
            line?.update(progress.batch, detail: String(format: "loss %.4f", progress.loss))
        }
        line?.finish()
        warnings.report()
        let modelDirectory = outputURL.appendingPathComponent(TrainingRun.modelFolder).path
        try storeModelPredictions(outcome.outOfFold, model: modelDirectory, in: store, path: source.database)
        let table = ClassificationTable(model: "out of fold, \(folds) folds", evaluation: outcome.evaluation)
        print(table.paperLayoutText + "\n" + table.detailText, terminator: "")
        if let figure = outcome.model.card.crossValidation?.markedFindings {
            print(String(format: "findings marked present (out of fold): %@ on %d No Finding films, %@ on %d films with findings",
                         figure.meanOnNoFinding.map { String(format: "%.2f", $0) } ?? "–", figure.noFindingFilms,
                         figure.meanOnFilmsWithFindings.map { String(format: "%.2f", $0) } ?? "–", figure.filmsWithFindings))
        }
        print("model: \(modelDirectory) — \(outcome.model.card.summary)")
        print("out-of-fold probabilities: \(output)/out-of-fold.json; fold runs: \(output)/fold-1 … fold-\(folds)")
    }

    /// The cross-validation section of the card a run in `output` wrote, or nil when it has
    /// none yet (an interrupted first run).
    static func savedCrossValidation(_ output: URL) throws -> ModelCard.CrossValidation? {
        let card = output.appendingPathComponent(TrainingRun.modelFolder)
        guard FileManager.default.fileExists(atPath: card.appendingPathComponent(ModelCard.fileName).path) else { return nil }
        return try ModelCard.read(directory: card).crossValidation
    }

    /// A resumed cross-validation keeps its fold count and its kind of model: folds of another
    /// K would mix two patient partitions, and `--ensemble` (not part of a fold's record)
    /// decides whether a model is trained on every film. `card`: the run's card, when written.
    /// - Throws: `InputFileError` naming the output and the flag to give.
    func requireSameFolds(_ folds: Int, saved: SavedRun, card: ModelCard.CrossValidation?, output: URL) throws {
        if let recorded = CrossValidationRun.foldCount(ofPart: saved.source.validationPart), recorded != folds {
            throw InputFileError("\(output.path) holds a run of \(recorded) folds: resume it with --folds \(recorded)")
        }
        let allFilms = TrainingRun.hasCheckpoint(output.appendingPathComponent(CrossValidationRun.allFilmsFolder))
        let cardEnsemble = card?.ensemble
        if ensemble && (allFilms || cardEnsemble == false) {
            throw InputFileError("\(output.path) holds a run whose model is trained on every film: resume it without --ensemble")
        }
        if !ensemble && cardEnsemble == true {
            throw InputFileError("\(output.path) holds a run whose model is the ensemble of its fold models: resume it with --ensemble")
        }
    }
}

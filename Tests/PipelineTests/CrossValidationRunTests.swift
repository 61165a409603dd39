import Evaluation
import Foundation
import Imaging
import Pipeline
import Store
import TestSupport
import Training
import XCTest

/// A tiny cross-validated run on real NIH films (EfficientNet-Lite0 at 32 px, 1 epoch): every
/// film predicted once, by the model of its own fold; the out-of-fold figures, thresholds and
/// ensemble in the card; the predictions stored and scored again from the database.
final class CrossValidationRunTests: XCTestCase {
    /// What every test here starts from: the real NIH films `films` of the shared data in a fresh
    /// database, their labelled images, the tiny run's options (1 epoch, no augmentation), a
    /// source, and an empty output folder; both folders are removed when the test ends.
    private struct Fixture {
        var database: ThoraxDatabase
        var images: [LabelledImage]
        var options: TrainingOptions
        var source: TrainingSource
        var output: URL
    }

    private func fixture(_ name: String, films: Range<Int>) throws -> Fixture {
        let folder = try SharedData.temporaryDirectory("\(name)-data")
        let output = try SharedData.temporaryDirectory("\(name)-run")
        addTeardownBlock {
            try? FileManager.default.removeItem(at: folder)
            try? FileManager.default.removeItem(at: output)
        }
        let database = try TrainEndToEndTests.database(train: films, validation: 20 ..< 22, in: folder)
        var options = TrainEndToEndTests.options(epochs: 1)
        options.augment = false
        return Fixture(database: database, images: try database.labelledImages(split: "official", part: "train_val"),
                       options: options,
                       source: TrainingSource(database: "test", split: "official", trainPart: "train_val", validationPart: "unused"),
                       output: output)
    }

    func testOutOfFoldPredictionsAreStoredAndScored() throws {
        let f = try fixture("cv", films: 0 ..< 12)
        let (database, images, options, source, output) = (f.database, f.images, f.options, f.source, f.output)
        let patients = try database.patientIdentifiers(ofImages: images.map(\.id))
        let run = try CrossValidationRun(options: options, source: source, images: images, patients: patients,
                                         settings: .init(folds: 3, ensemble: true, commit: "abc123",
                                                         bootstrap: BootstrapOptions(resamples: 50)),
                                         output: output, thoraxVersion: "test")
        let outcome = try run.run()

        // Every film once, and the folds patient-disjoint.
        XCTAssertEqual(outcome.outOfFold.map(\.imageID).sorted(), images.map(\.id).sorted())
        let foldPatients = outcome.folds.folds.map { Set($0.map { patients[$0]! }) }
        XCTAssertTrue(foldPatients[0].isDisjoint(with: foldPatients[1]) && foldPatients[1].isDisjoint(with: foldPatients[2])
                      && foldPatients[0].isDisjoint(with: foldPatients[2]))
        for k in 1 ... 3 {
            XCTAssertTrue(FileManager.default.fileExists(atPath: output.appendingPathComponent("fold-\(k)/metrics.json").path))
        }

        // The ensemble in OUT/model with the out-of-fold figures in its card.
        let model = try ChestModel.load(directory: output.appendingPathComponent(TrainingRun.modelFolder))
        XCTAssertEqual(model.members.count, 3)
        let cv = try XCTUnwrap(model.card.crossValidation)
        XCTAssertEqual(cv.folds, 3)
        XCTAssertEqual(cv.images, 12)
        XCTAssertEqual(cv.patients, Set(patients.values).count)
        XCTAssertEqual(cv.thresholdRule, .maximumF1)
        XCTAssertEqual(cv.commit, "abc123")
        XCTAssertTrue(cv.ensemble)
        XCTAssertEqual(model.card.training?.bestEpoch, 1, "every member's last epoch")
        XCTAssertEqual(cv.positives, outcome.evaluation.classes.map(\.positives))
        XCTAssertEqual(cv.markedFindings.noFindingFilms + cv.markedFindings.filmsWithFindings,
                       images.filter { $0.labels.allSatisfy { $0 == 0 } || $0.labels.contains(1) }.count)
        // The thresholds are the rule's on the out-of-fold predictions.
        for c in model.card.classes.indices {
            let scores = outcome.outOfFold.map { $0.probabilities[c] }
            let labels = outcome.outOfFold.map { result in Int(images.first { $0.id == result.imageID }!.labels[c] == 1 ? 1 : 0) }
            XCTAssertEqual(model.card.thresholds[c], DecisionThreshold.maximumF1(scores: scores, labels: labels) ?? 0.5)
        }
        XCTAssertTrue(model.card.summary.contains("3-fold cross-validation on 12 films"), model.card.summary)
        XCTAssertTrue(FileManager.default.fileExists(atPath: output.appendingPathComponent("out-of-fold.json").path))

        // Stored as the model's predictions, read back and scored to the same AUCs.
        let record = try ModelRecord.read(directory: output.appendingPathComponent(TrainingRun.modelFolder))
        let summary = try database.storePredictions(outcome.outOfFold, of: record)
        XCTAssertEqual(summary.images, 12)
        let stored = try database.storedPredictions(modelID: summary.model.id, imageIDs: images.map(\.id))
        XCTAssertEqual(stored.probabilities.count, 12)
        for result in outcome.outOfFold { XCTAssertEqual(stored.probabilities[result.imageID], result.probabilities) }
        let report = try EvaluationRunner.report(stored: stored, images: images, modelName: "cv",
                                                 bootstrap: BootstrapOptions(resamples: 50))
        XCTAssertEqual(report.evaluation.classes.map(\.auc), outcome.evaluation.classes.map(\.auc))
        XCTAssertEqual(report.evaluation.meanAUC, outcome.evaluation.meanAUC)
    }

    func testWithoutEnsembleOneModelIsTrainedOnEveryFilm() throws {
        let f = try fixture("cv-all", films: 0 ..< 8)
        let (database, images, options, source, output) = (f.database, f.images, f.options, f.source, f.output)
        var folds: [Int] = []
        let outcome = try CrossValidationRun(
            options: options, source: source, images: images,
            patients: database.patientIdentifiers(ofImages: images.map(\.id)),
            settings: .init(folds: 2, ensemble: false, thresholdRule: .youden, bootstrap: BootstrapOptions(resamples: 20)),
            output: output, thoraxVersion: "test"
        ).run { step, _ in if folds.last != step.fold { folds.append(step.fold) } }
        XCTAssertEqual(folds, [1, 2, 3], "two folds, then the model on every film")
        XCTAssertEqual(outcome.outOfFold.count, 8)
        let model = try ChestModel.load(directory: output.appendingPathComponent(TrainingRun.modelFolder))
        XCTAssertEqual(model.members.count, 1)
        XCTAssertEqual(model.card.training?.trainImages, 8)
        let cv = try XCTUnwrap(model.card.crossValidation)
        XCTAssertFalse(cv.ensemble)
        XCTAssertEqual(cv.thresholdRule, .youden)
        XCTAssertTrue(FileManager.default.fileExists(atPath: output.appendingPathComponent("all/metrics.json").path))
        XCTAssertTrue(model.card.summary.contains("one model, 2-fold cross-validation on 8 films"), model.card.summary)
    }

    /// Two networks per fold and on every film, each standardized on its own training films:
    /// the seeds are consecutive, each card holds its statistics, a fold's out-of-fold
    /// probabilities are its two networks' ensemble, and the final model is the ensemble of the
    /// two trained on every film.
    func testMembersWithScoreStandardization() throws {
        let f = try fixture("cv-members", films: 0 ..< 8)
        let (database, images, source, output) = (f.database, f.images, f.source, f.output)
        var options = f.options
        options.seed = 5
        var steps: [CrossValidationRun.Step] = []
        let run = try CrossValidationRun(
            options: options, source: source, images: images,
            patients: database.patientIdentifiers(ofImages: images.map(\.id)),
            settings: .init(folds: 2, ensemble: false, thresholdRule: .youden, bootstrap: BootstrapOptions(resamples: 20),
                            members: 2, standardizeScores: true),
            output: output, thoraxVersion: "test")
        let outcome = try run.run { step, _ in if steps.last != step { steps.append(step) } }
        XCTAssertEqual(steps.map { [$0.fold, $0.member] }, [[1, 1], [1, 2], [2, 1], [2, 2], [3, 1], [3, 2]])

        let byID = Dictionary(uniqueKeysWithValues: images.map { ($0.id, $0) })
        for (index, fold) in outcome.folds.folds.enumerated() {
            let held = Set(fold)
            let training = images.filter { !held.contains($0.id) }.map { $0.path! }
            let networks = try ["fold-\(index + 1)", "fold-\(index + 1)-member-2"].map {
                try ChestModel.load(directory: output.appendingPathComponent("\($0)/model"))
            }
            XCTAssertEqual(networks.map { $0.card.training?.seed }, [5, 6])
            for network in networks {
                // The card's statistics are those of the network's logits on its training films.
                let stored = try XCTUnwrap(network.card.scoreStandardization?.first)
                network.card.scoreStandardization = nil
                try network.standardizeScores(onFiles: training)
                let again = try XCTUnwrap(network.card.scoreStandardization?.first)
                XCTAssertEqual(stored.films, training.count)
                for c in stored.mean.indices {
                    XCTAssertEqual(stored.mean[c], again.mean[c], accuracy: 2e-2 * max(1, abs(again.mean[c])), "f16 weights")
                    XCTAssertEqual(stored.standardDeviation[c], again.standardDeviation[c], accuracy: 2e-2 * max(1, again.standardDeviation[c]))
                }
                network.card.scoreStandardization = [stored]
            }
            // Out of fold: the two networks' ensemble (saved in f16, so not to the bit).
            let ensemble = try ChestModel(ensembleOf: networks, card: networks[0].card)
            let expected = try ensemble.classify(fold.map { try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: byID[$0]!.path!)) },
                                                 heatmaps: false)
            let found = Dictionary(uniqueKeysWithValues: outcome.outOfFold.map { ($0.imageID, $0.probabilities) })
            for (id, prediction) in zip(fold, expected) {
                for (a, b) in zip(found[id]!, prediction.probabilities) { XCTAssertEqual(a, b, accuracy: 2e-2) }
            }
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: output.appendingPathComponent("all-member-2/metrics.json").path))
        let model = try ChestModel.load(directory: output.appendingPathComponent(TrainingRun.modelFolder))
        XCTAssertEqual(model.members.count, 2)
        XCTAssertEqual(model.card.scoreStandardization?.count, 2)
        XCTAssertEqual(model.card.scoreStandardization?.map(\.films), [8, 8])
        let cv = try XCTUnwrap(model.card.crossValidation)
        XCTAssertEqual(cv.members, 2)
        XCTAssertNotNil(cv.scoreStandardization)
        XCTAssertTrue(model.card.summary.contains("an ensemble of 2 models, 2-fold cross-validation on 8 films"), model.card.summary)
        // A fold network's directory is the network that predicted the fold: its last epoch, the run's thresholds.
        let foldCard = try ModelCard.read(directory: output.appendingPathComponent("fold-2-member-2/model"))
        XCTAssertEqual(foldCard.thresholds, model.card.thresholds)
        XCTAssertEqual(foldCard.training?.bestEpoch, 1)
        XCTAssertTrue(foldCard.metrics?.evaluatedOn.contains("the last") ?? false, "\(String(describing: foldCard.metrics))")
    }
}

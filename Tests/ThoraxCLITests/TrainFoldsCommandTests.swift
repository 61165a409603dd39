import Foundation
import Pipeline
import TestSupport
import XCTest

/// `thorax train --folds`: its flags checked together before any work, and the output stride
/// named where the architecture lacks it.
final class TrainFoldsCommandTests: XCTestCase {
    /// Two folds of the 6 bundled train_val samples, kept as an ensemble: the folds and the
    /// out-of-fold table printed, the probabilities stored, and `eval --stored` scoring them.
    func testTwoFoldsAreTrainedStoredAndScoredAgain() throws {
        let directory = try SharedData.temporaryDirectory("train-folds")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (database, _) = try BenchmarkCommandFixture.makeDatabase(in: directory)
        let output = directory.appendingPathComponent("cv")
        let result = try ForwardCommandTests.run(["train", "--database", database, "--split", "official", "--train-part", "train_val",
                                                  "--folds", "2", "--ensemble", "--commit", "abc", "--epochs", "1"]
                                                 + TrainCommandTests.tinyRun + ["--output", output.path])
        XCTAssertEqual(result.status, 0, result.error)
        let lines = result.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("fold ") }.count, 2, result.output)
        XCTAssertTrue(lines.contains { $0.hasPrefix("out of fold, 2 folds") }, result.output)
        XCTAssertTrue(lines.contains { $0.hasPrefix("findings marked present (out of fold): ") }, result.output)
        XCTAssertTrue(result.output.contains("an ensemble of 2 fold models, 2-fold cross-validation on 6 films"), result.output)
        let stored = try XCTUnwrap(result.error.range(of: #"as model [0-9]+ "#, options: .regularExpression).map {
            String(result.error[$0].dropFirst("as model ".count).dropLast())
        }, result.error)
        XCTAssertTrue(result.error.contains("stored 84 probabilities of 6 images"), result.error)
        XCTAssertEqual(try ModelCard.read(directory: output.appendingPathComponent("model")).crossValidation?.commit, "abc")

        let eval = try ForwardCommandTests.run(["eval", "--database", database, "--split", "official:train_val", "--stored", stored,
                                                "--resamples", "50"])
        XCTAssertEqual(eval.status, 0, eval.error)
        XCTAssertTrue(eval.output.contains(", 6 evaluated"), eval.output)
        let missing = try ForwardCommandTests.run(["eval", "--database", database, "--split", "official:train_val", "--stored", "999"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.error.contains("has no model with id 999"), missing.error)
    }

    func testFoldFlagsAreCheckedTogether() throws {
        let ensemble = try ForwardCommandTests.run(["train", "--database", "none.sqlite", "--ensemble", "--output", "x"])
        XCTAssertEqual(ensemble.status, 64)
        XCTAssertTrue(ensemble.error.contains("--ensemble, --threshold-rule, --members, --score-standardization and --commit apply to a cross-validated run: give --folds K"),
                      ensemble.error)
        let one = try ForwardCommandTests.run(["train", "--database", "none.sqlite", "--folds", "1", "--output", "x"])
        XCTAssertEqual(one.status, 64)
        XCTAssertTrue(one.error.contains("--folds must be at least 2, got 1"), one.error)
        let resume = try ForwardCommandTests.run(["train", "--folds", "3", "--resume", "--output", "x"])
        XCTAssertEqual(resume.status, 1)
        XCTAssertTrue(resume.error.contains("x holds no cross-validated run to resume (no fold-1/checkpoint in it)"), resume.error)
        let validation = try ForwardCommandTests.run(["train", "--folds", "3", "--validation-part", "v", "--output", "x"])
        XCTAssertEqual(validation.status, 64)
        XCTAssertTrue(validation.error.contains("leave out --validation-part"), validation.error)
        let rule = try ForwardCommandTests.run(["train", "--folds", "3", "--threshold-rule", "median", "--output", "x"])
        XCTAssertNotEqual(rule.status, 0)
        XCTAssertTrue(rule.error.contains("'max-f1'"), rule.error)
    }

    func testOutputStrideIsNamedWhereTheArchitectureLacksIt() throws {
        let stride = try ForwardCommandTests.run(["train", "--database", "none.sqlite", "--arch", "resnet18",
                                                  "--output-stride", "16", "--output", "x"])
        XCTAssertEqual(stride.status, 64)
        XCTAssertTrue(stride.error.contains("--output-stride 16 is not available for resnet18"), stride.error)
        let eight = try ForwardCommandTests.run(["train", "--output-stride", "8", "--output", "x"])
        XCTAssertNotEqual(eight.status, 0)
        XCTAssertTrue(eight.error.contains("--output-stride"), eight.error)
    }

    func testEvalStoredRefusesStoringAgain() throws {
        let result = try ForwardCommandTests.run(["eval", "--split", "official:train_val", "--stored", "1", "--store-predictions"])
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.error.contains("leave out --store-predictions"), result.error)
    }

    /// `--folds --resume` on a finished run trains nothing, predicts each fold again with the
    /// same weights (the same out-of-fold probabilities) and rewrites the card with the new
    /// threshold rule; with a larger --epochs each fold trains on; a changed option is refused.
    func testResumingAFinishedRunChangesTheThresholdRuleWithoutTraining() throws {
        let directory = try SharedData.temporaryDirectory("train-folds-resume")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (database, _) = try BenchmarkCommandFixture.makeDatabase(in: directory)
        let output = directory.appendingPathComponent("cv")
        let common = ["train", "--database", database, "--split", "official", "--train-part", "train_val", "--folds", "2",
                      "--ensemble"] + TrainCommandTests.tinyRun + ["--output", output.path]
        let first = try ForwardCommandTests.run(common + ["--epochs", "1"])
        XCTAssertEqual(first.status, 0, first.error)
        let outOfFold = output.appendingPathComponent("out-of-fold.json")
        let probabilities = try Data(contentsOf: outOfFold)
        let foldMetrics = output.appendingPathComponent("fold-1/metrics.csv")
        let metrics = try String(contentsOf: foldMetrics, encoding: .utf8)
        XCTAssertEqual(try ModelCard.read(directory: output.appendingPathComponent("model")).crossValidation?.thresholdRule, .maximumF1)

        let again = try ForwardCommandTests.run(common + ["--resume", "--threshold-rule", "specificity-90"])
        XCTAssertEqual(again.status, 0, again.error)
        XCTAssertEqual(try Data(contentsOf: outOfFold), probabilities)
        XCTAssertEqual(try String(contentsOf: foldMetrics, encoding: .utf8), metrics)
        let card = try ModelCard.read(directory: output.appendingPathComponent("model"))
        let cv = try XCTUnwrap(card.crossValidation)
        XCTAssertEqual(cv.thresholdRule, .specificity90)
        // The card's thresholds are the rule's on the stored out-of-fold probabilities.
        struct Film: Decodable { var image: String; var probabilities: [Float] }
        let films = try JSONDecoder().decode([Film].self, from: probabilities)
        XCTAssertEqual(films.count, 6)
        XCTAssertEqual(card.thresholds.count, 14)
        XCTAssertTrue(again.output.contains("thresholds: specificity-90"), again.output)

        // --ensemble and --folds are not part of a fold's record: a resume that differs is refused.
        let single = try ForwardCommandTests.run(common.filter { $0 != "--ensemble" } + ["--resume"])
        XCTAssertEqual(single.status, 1)
        XCTAssertTrue(single.error.contains("holds a run whose model is the ensemble of its fold models: resume it with --ensemble"),
                      single.error)
        var threeFolds = common
        threeFolds[try XCTUnwrap(common.firstIndex(of: "--folds")) + 1] = "3"
        let three = try ForwardCommandTests.run(threeFolds + ["--resume"])
        XCTAssertEqual(three.status, 1)
        XCTAssertTrue(three.error.contains("holds a run of 2 folds: resume it with --folds 2"), three.error)

        let changed = try ForwardCommandTests.run(common + ["--resume", "--learning-rate", "0.5"])
        XCTAssertEqual(changed.status, 1)
        XCTAssertTrue(changed.error.contains("learning"), changed.error)

        let longer = try ForwardCommandTests.run(common + ["--resume", "--epochs", "2"])
        XCTAssertEqual(longer.status, 0, longer.error)
        let rows = try String(contentsOf: foldMetrics, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, 3, "header and two epochs")
        XCTAssertTrue(rows[2].hasPrefix("2,"), String(rows[2]))
        XCTAssertNotEqual(try Data(contentsOf: outOfFold), probabilities)

        // A finished run takes a second network per fold, standardized: only the new ones train.
        let members = try ForwardCommandTests.run(common + ["--resume", "--members", "2", "--score-standardization", "training-films"])
        XCTAssertEqual(members.status, 0, members.error)
        XCTAssertEqual(try String(contentsOf: foldMetrics, encoding: .utf8).split(separator: "\n").count, 3, "member 1 not trained again")
        XCTAssertTrue(FileManager.default.fileExists(atPath: output.appendingPathComponent("fold-2-member-2/metrics.csv").path))
        let joined = try ModelCard.read(directory: output.appendingPathComponent("model"))
        XCTAssertEqual(joined.crossValidation?.members, 2)
        XCTAssertNotNil(joined.crossValidation?.scoreStandardization)
        XCTAssertEqual(joined.ensembleSize, 4, "--ensemble: 2 folds × 2 networks")
        XCTAssertEqual(joined.scoreStandardization?.count, 4)
        let fewer = try ForwardCommandTests.run(common + ["--resume", "--members", "1"])
        XCTAssertEqual(fewer.status, 1)
        XCTAssertTrue(fewer.error.contains("holds a run of 2 networks per fold: resume it with --members 2 or more"), fewer.error)
        let plain = try ForwardCommandTests.run(["train", "--members", "2", "--output", "x"])
        XCTAssertEqual(plain.status, 64)
        XCTAssertTrue(plain.error.contains("apply to a cross-validated run"), plain.error)
    }
}

import ArgumentParser
import Foundation
import Reports

/// `thorax label eval`: precision, recall and F1 of a label CSV against a gold standard.
struct LabelEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score predicted labels against gold labels (precision, recall, F1; micro and macro over 14 and the paper's 8).",
        discussion: """
        Only a value of 1 counts as positive. No Finding is scored against the gold 'normal' column.
        Rows are matched by id; a gold file without reports, or predictions matching none of
        them, is an error (exit status 1).

        Example:
          thorax label eval --gold ~/openi/gold.csv --pred labels.csv --json
        """
    )

    @Option(help: "Gold CSV: an id column (filename or id), the 14 findings, optionally normal.")
    var gold: String

    @Option(help: "Predicted CSV as written by thorax label.")
    var pred: String

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        try requireInputFile(gold, option: "--gold")
        try requireInputFile(pred, option: "--pred")
        let evaluation: LabelEvaluation
        do {
            evaluation = try LabelEvaluation.evaluate(gold: URL(fileURLWithPath: gold), predicted: URL(fileURLWithPath: pred))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        // Nothing to score, or no prediction for any gold report (a wrong file, or ids that do
        // not match): a table of zeros would look like a result.
        if evaluation.reports == 0 {
            FileHandle.standardError.write(Data("error: \(gold): no gold reports to score\n".utf8))
            throw ExitCode(1)
        }
        if evaluation.missingPredictions == evaluation.reports {
            FileHandle.standardError.write(Data(("error: \(pred): no prediction for any of the \(evaluation.reports) gold reports "
                + "of \(gold) (rows are matched by id; \(evaluation.unmatchedPredictions) ids are not in the gold file)\n").utf8))
            throw ExitCode(1)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(evaluation), as: UTF8.self))
        } else {
            print(evaluation.table())
        }
    }
}

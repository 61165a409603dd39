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

        Example:
          thorax label eval --gold ../shared/data/openi/gold.csv --pred labels.csv --json
        """
    )

    @Option(help: "Gold CSV: an id column (filename or id), the 14 findings, optionally normal.")
    var gold: String

    @Option(help: "Predicted CSV as written by thorax label.")
    var pred: String

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let evaluation: LabelEvaluation
        do {
            evaluation = try LabelEvaluation.evaluate(gold: URL(fileURLWithPath: gold), predicted: URL(fileURLWithPath: pred))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
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

import ArgumentParser
import Foundation
import Reports
import Store

/// `thorax db import-reports`: reports and the labels the labeller mines from them.
struct DbImportReportsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-reports",
        abstract: "Store reports (text by section) and the labels the labeller mines from them.",
        discussion: """
        Inputs are OpenI XML files, plain-text files, CSV files or directories of them. Each
        report's labels are stored with source `labeller` and the rule and words that set them
        as evidence. Inputs that cannot be read are named on standard error (the others are
        stored, and the command exits with status 1); re-importing unchanged reports changes
        nothing.

        Example:
          thorax db import-reports ../shared/data/openi/reports --source openi
        """
    )

    @OptionGroup var options: DatabaseOptions

    @Argument(help: "Report files or directories.")
    var inputs: [String]

    @Option(name: .long, help: "The collection the reports belong to; ids are unique within it.")
    var source: String = "openi"

    @Option(name: .long, help: "A vocabulary file for the labeller (default: the bundled one).")
    var vocabulary: String?

    @Option(name: .long, help: "A rules file for the labeller (default: the bundled one).")
    var rules: String?

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one report file or directory") }
        if source.isEmpty { throw ValidationError("--source must not be empty") }
    }

    func run() throws {
        let labeler = try ReportLabeler(vocabulary: vocabulary.map { URL(fileURLWithPath: $0) },
                                        rules: rules.map { URL(fileURLWithPath: $0) })
        let database = try options.open()
        let progress = ProgressLine("import-reports", unit: "reports")
        let summary = try database.importReports(ReportReader(paths: inputs), source: source, labeler: labeler,
                                                 progress: { progress.update($0) })
        progress.finish()
        for failure in summary.failures {
            FileHandle.standardError.write(Data(("error: " + failure + "\n").utf8))
        }
        let stored = summary.read - summary.failures.count
        print("read \(stored) reports: added \(summary.added), updated \(summary.updated), "
            + "unchanged \(summary.unchanged); wrote \(summary.labelsWritten) labels")
        if !summary.failures.isEmpty {
            FileHandle.standardError.write(Data("\(summary.failures.count) inputs could not be stored\n".utf8))
            throw ExitCode(1)
        }
    }
}

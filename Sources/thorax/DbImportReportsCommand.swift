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
        Inputs are OpenI XML files, plain-text files, CSV files, HL7 v2 ORU^R01 messages (.hl7),
        DICOM SR documents (.dcm: the TEXT items under FINDINGS and IMPRESSION, or all text) or
        directories of them. A report that names its study (an SR's Study Instance UID and
        accession number; an HL7 message's accession number, OBR-18 or OBR-3, and ZDS-1) is
        linked to that study when the database holds it. Each report's labels are stored with
        source `labeller` and the rule and words that set them as evidence. Inputs that cannot
        be read (an HL7 message: its position in the file), and directories without report
        files, are named on standard error (the others are stored, and the command exits with status 1);
        with no report to store, the database is left alone (not created). Files in the
        directories that are not .xml, .csv, .txt, .hl7 or .dcm are counted on standard error.
        Re-importing unchanged reports changes nothing.

        Example:
          thorax db import-reports ~/openi/reports --source openi
        """
    )

    @OptionGroup var options: ImportDatabaseOptions

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
        if let vocabulary { try requireInputFile(vocabulary, option: "--vocabulary") }
        if let rules { try requireInputFile(rules, option: "--rules") }
        let labeler: ReportLabeler
        do {
            labeler = try ReportLabeler(vocabulary: vocabulary.map { URL(fileURLWithPath: $0) },
                                        rules: rules.map { URL(fileURLWithPath: $0) })
        } catch {
            throw InputFileError("\(error)")
        }
        try options.check()
        let expanded = ReportReader.expand(inputs, additionalExtensions: [DICOMReportFormat.fileExtension])
        reportLeftOut(expanded.others)
        // Read up to the first report before touching the database: when no input gives one,
        // the failures are named and the database is neither created nor opened.
        let reader = ReportReader(paths: expanded.paths, additionalFormats: DICOMReportFormat.formats).makeIterator()
        var leading: [Result<Report, ReportReadError>] = []
        while let result = reader.next() {
            leading.append(result)
            if case .success = result { break }
        }
        guard leading.contains(where: { if case .success = $0 { return true } else { return false } }) else {
            for result in leading { if case .failure(let error) = result { FileHandle.standardError.write(Data("error: \(error)\n".utf8)) } }
            FileHandle.standardError.write(Data("imported nothing: no input gave a report\n".utf8))
            throw ExitCode(1)
        }
        let progress = ProgressLine("import-reports", unit: "reports")
        let summary = try options.importing { database in
            try database.importReports([AnySequence(leading), AnySequence(IteratorSequence(reader))].joined(), source: source, labeler: labeler,
                                       progress: { progress.update($0) })
        }
        progress.finish()
        for failure in summary.failures {
            FileHandle.standardError.write(Data(("error: " + failure + "\n").utf8))
        }
        let stored = summary.read - summary.failures.count
        print("read \(stored) reports: added \(summary.added), updated \(summary.updated), "
            + "unchanged \(summary.unchanged); wrote \(summary.labelsWritten) labels"
            + (summary.linked == 0 ? "" : "; linked \(summary.linked) to their studies"))
        if !summary.failures.isEmpty {
            FileHandle.standardError.write(Data("\(summary.failures.count) inputs could not be stored\n".utf8))
            throw ExitCode(1)
        }
    }
}

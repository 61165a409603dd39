import ArgumentParser
import Foundation
import Reports

/// `thorax label [run] INPUT…`: reads reports, labels them, writes CSV or JSON lines.
struct LabelReportsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Label reports (OpenI XML, plain text, CSV; files or folders) with the 14 findings.",
        discussion: """
        Reads FINDINGS and IMPRESSION when present (else the whole report), finds mentions of the
        14 findings, and classes each as positive, negated or uncertain. Per report and finding:
        1 if any mention is positive, else -1 if any is uncertain, else 0 if any is negated, else
        empty. No Finding is 1 when no finding is 1 or -1. A bad input gets one error line naming
        the file (and row); every other report is still labelled, and the exit status is 1. A
        folder is searched recursively for .xml, .csv and .txt files (other files are counted
        on standard error); a folder with none is a bad input. With no report labelled, nothing
        is written and the exit status is 1.

        Examples:
          thorax label ~/openi/reports --output labels.csv
          thorax label reports.csv --format jsonl --output mentions.jsonl
          thorax label notes/ --vocabulary my-vocabulary.txt --sections all
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case csv, jsonl
    }

    @Argument(help: "Report files or folders: .xml (OpenI), .csv (id,report columns or one column of texts), anything else plain text.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output file, written atomically (default: standard output).")
    var output: String?

    @Option(help: "Output format: csv (labels) or jsonl (labels and every mention with its evidence).")
    var format: Format = .csv

    @Option(help: "A vocabulary file replacing the bundled one (format: Sources/Reports/Resources/README.md).")
    var vocabulary: String?

    @Option(help: "A rules file replacing the bundled negation/uncertainty rules.")
    var rules: String?

    @Option(help: "Sections to read: findings-impression or all.")
    var sections: String = ReportLabeler.SectionChoice.findingsAndImpression.rawValue

    func run() throws {
        guard let choice = ReportLabeler.SectionChoice(rawValue: sections) else {
            throw ValidationError("--sections must be findings-impression or all, not '\(sections)'")
        }
        if let output { try requireOutputFile(output, option: "--output") }
        if let vocabulary { try requireInputFile(vocabulary, option: "--vocabulary") }
        if let rules { try requireInputFile(rules, option: "--rules") }
        let labeler: ReportLabeler
        do {
            labeler = try ReportLabeler(vocabulary: vocabulary.map { URL(fileURLWithPath: $0) },
                                        rules: rules.map { URL(fileURLWithPath: $0) }, sections: choice)
        } catch {
            throw InputFileError("\(error)")
        }
        let expanded = ReportReader.expand(inputs, additionalExtensions: [DICOMReportFormat.fileExtension])
        reportLeftOut(expanded.others)
        let sink: LabelSink
        do {
            sink = try LabelSink(path: output)
        } catch {
            throw InputFileError("\(output ?? "-"): cannot write: \(error.localizedDescription)")
        }
        let progress = ProgressLine("label", unit: "reports")
        let summary = try LabelPipeline.run(inputs: expanded.paths, labeler: labeler, format: format, sink: sink) { done in
            progress.update(done)
        }
        progress.finish()
        // Nothing labelled: no output at all (not a header-only file), and a failure.
        if summary.labelled > 0 { try sink.finish() }
        var message = "labelled \(summary.labelled) reports"
        if summary.failed > 0 { message += "; \(summary.failed) input\(summary.failed == 1 ? "" : "s") failed" }
        if summary.labelled == 0 { message += output.map { "; \($0) not written" } ?? "" }
        FileHandle.standardError.write(Data((message + "\n").utf8))
        if summary.failed > 0 || summary.labelled == 0 { throw ExitCode(1) }
    }
}

/// Where labelled rows go: an atomically written file, or standard output.
final class LabelSink {
    private let file: AtomicFileWriter?
    private var buffer: [UInt8] = []

    init(path: String?) throws {
        file = try path.map { try AtomicFileWriter(destination: URL(fileURLWithPath: $0)) }
    }

    func writeLine(_ line: String) throws {
        if let file { try file.writeLine(line); return }
        buffer.append(contentsOf: line.utf8)
        buffer.append(10)
        if buffer.count >= 1 << 16 { flushStandardOutput() }
    }

    private func flushStandardOutput() {
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    func finish() throws {
        if let file { try file.commit() } else { flushStandardOutput() }
    }
}

/// The streaming loop of `thorax label`: read, label, write, report errors as they come.
enum LabelPipeline {
    struct Summary {
        var labelled = 0
        var failed = 0
    }

    static func run(inputs: [String], labeler: ReportLabeler, format: LabelReportsCommand.Format,
                    sink: LabelSink, progress: (Int) -> Void) throws -> Summary {
        var summary = Summary()
        var workspace = ReportLabeler.Workspace()
        if format == .csv { try sink.writeLine(LabelOutput.csvHeader) }
        // Reading and parsing run on a second thread, a few batches ahead (bounded memory).
        for batch in ReportReader(paths: inputs, additionalFormats: DICOMReportFormat.formats).prefetchedBatches() {
            for result in batch {
                switch result {
                case .success(let report):
                    let labels = labeler.label(report, workspace: &workspace)
                    try sink.writeLine(format == .csv ? LabelOutput.csvRow(labels) : LabelOutput.jsonLine(labels))
                    summary.labelled += 1
                case .failure(let error):
                    summary.failed += 1
                    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                }
            }
            progress(summary.labelled)
        }
        progress(summary.labelled)
        return summary
    }
}

/// Says on standard error how many files in the input folders are not report files and were
/// not read (the first of them named), so that none is skipped silently; nothing when none.
func reportLeftOut(_ others: [String]) {
    guard let first = others.first else { return }
    printWarning("\(others.count) file\(others.count == 1 ? " is" : "s are") not .xml, .csv, .txt, .hl7 or .dcm and "
        + "\(others.count == 1 ? "was" : "were") not read (first: \(first))")
}

import ArgumentParser
import DICOMwebClient
import Foundation
import Imaging
import Store

/// `thorax db import-dicomweb`: pulls an archive's images over DICOMweb into the database, as
/// `db import-dicom` imports files.
struct DbImportDICOMwebCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-dicomweb",
        abstract: "Retrieve the images of a DICOMweb server's studies (QIDO-RS, WADO-RS) into the database.",
        discussion: """
        Searches the server's studies (QIDO-RS; --study, --since and --patient narrow the search \
        and combine), lists each study's instances, and retrieves those not yet in the database \
        (WADO-RS, as stored) into DATA/imported/<SOP Instance UID>.dcm, each file written whole \
        under a temporary name first. Each study's images are then recorded as `db import-dicom` \
        records files, in one transaction per study, so a stopped import resumes where it stopped: \
        an instance already imported is skipped without a request. Instances without pixel data \
        (reports) are counted and left alone. Progress (count, rate, ETA) goes to standard error \
        on a terminal. An instance that cannot be retrieved or read is named by SOP Instance UID \
        on standard error and the others are imported (exit status 1).

        Examples:
          thorax db import-dicomweb http://127.0.0.1:8042/dicom-web --since 2024-01-01
          thorax db import-dicomweb http://pacs/dicom-web --study 1.2.840.113619.2.55.3.4
        """
    )

    @OptionGroup var options: ImportDatabaseOptions

    @Argument(help: "The DICOMweb server's root, e.g. http://127.0.0.1:8042/dicom-web.")
    var url: String

    @Option(name: .customLong("study"), help: ArgumentHelp("Only this Study Instance UID (repeat for more).", valueName: "uid"))
    var studies: [String] = []

    @Option(help: ArgumentHelp("Only studies on or after this date (YYYY-MM-DD or YYYYMMDD).", valueName: "date"))
    var since: String?

    @Option(help: ArgumentHelp("Only this patient's studies (Patient ID).", valueName: "id"))
    var patient: String?

    @Option(help: "Where retrieved files go (default: thorax-data beside the database).")
    var dataDirectory: String?

    @Option(help: "How long, in seconds, one request may take (a server that does not answer fails after it).")
    var timeout = 120

    func validate() throws {
        do { _ = try DICOMwebReader(baseURL: url) } catch { throw ValidationError("\(error)") }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second, got \(timeout)") }
        if let since, Self.studyDate(since) == nil {
            throw ValidationError("--since \(since): not a date (YYYY-MM-DD or YYYYMMDD)")
        }
        for study in studies where study.isEmpty || !study.allSatisfy({ $0.isNumber || $0 == "." }) || study.count > 64 {
            throw ValidationError("--study \(study): not a DICOM UID (digits and dots, at most 64 characters)")
        }
    }

    /// "YYYYMMDD" from YYYY-MM-DD or YYYYMMDD, when it is a date.
    static func studyDate(_ text: String) -> String? {
        let digits = text.replacingOccurrences(of: "-", with: "")
        guard digits.count == 8, digits.allSatisfy(\.isNumber), text.count == 8 || text.count == 10 else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd"
        formatter.isLenient = false
        return formatter.date(from: digits) == nil ? nil : digits
    }

    /// The QIDO-RS query of the options.
    var query: [(String, String)] {
        var query: [(String, String)] = []
        if !studies.isEmpty { query.append(("StudyInstanceUID", studies.joined(separator: ","))) }
        if let since, let date = Self.studyDate(since) { query.append(("StudyDate", date + "-")) }
        if let patient { query.append(("PatientID", patient)) }
        return query
    }

    func run() async throws {
        try options.check()
        let reader = try DICOMwebReader(baseURL: url, timeout: .seconds(Int64(timeout)))
        let folder = URL(fileURLWithPath: dataDirectory
            ?? URL(fileURLWithPath: options.database).deletingLastPathComponent().appendingPathComponent("thorax-data").path)
            .appendingPathComponent("imported", isDirectory: true).standardizedFileURL
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)

        let found = try await reader.searchStudies(query)
        var plan: [(study: String, instances: [DICOMwebReader.Instance])] = []
        for study in found { plan.append((study.studyInstanceUID, try await reader.searchInstances(study: study.studyInstanceUID))) }
        let total = plan.reduce(0) { $0 + $1.instances.count }
        print("found \(found.count) stud\(found.count == 1 ? "y" : "ies") with \(total) instance\(total == 1 ? "" : "s") at \(reader.baseURL)")
        guard total > 0 else { return }

        let summary = try await options.importingAsync { database in
            try await retrieve(plan, total: total, from: reader, into: folder, database: database)
        }
        let seconds = max(Date().timeIntervalSince(summary.start), 0.001)
        print("retrieved \(summary.retrieved) instance\(summary.retrieved == 1 ? "" : "s") "
            + "(\(String(format: "%.1f", Double(summary.bytes) / 1_048_576)) MiB) in \(ProgressLine.formatDuration(seconds)), "
            + "\(String(format: "%.1f", Double(summary.retrieved) / seconds))/s; skipped \(summary.present) already imported"
            + (summary.notImages == 0 ? "" : ", \(summary.notImages) without pixel data"))
        print("added \(summary.patientsAdded) patients, \(summary.studiesAdded) studies, \(summary.imagesAdded) images")
        for failure in summary.failures { FileHandle.standardError.write(Data("error: \(failure)\n".utf8)) }
        if !summary.failures.isEmpty { throw ExitCode(1) }
    }
}

import Foundation
import GRDB
import Reports

extension ThoraxDatabase {
    /// Files a stored DICOM SR document: its instance row (and its patient, study and series
    /// where new) and, when `report` is given, the report and the labels `labeler` mines from
    /// it, stored under `source` as `importReports` stores a report read from a file and
    /// linked to the study the instance is filed under. One transaction, which runs
    /// `beforeCommit` (moving the instance's file into place) last.
    ///
    /// - Parameters:
    ///   - instance: the SR instance; its `path` is the file `beforeCommit` places.
    ///   - report: the document's report text; nil files the instance alone (an SR that is no
    ///     hospital report, such as an algorithm's results).
    /// - Returns: what the report import did (all zero without a report).
    /// - Throws: `DICOMFilingConflict` when the instance's UID is stored already or its study
    ///   or series is filed under another patient or study; GRDB's errors; `beforeCommit`'s.
    @discardableResult
    public func fileDICOMReport(instance: DICOMInstanceRecord, report: Report?, source: String, labeler: ReportLabeler,
                                beforeCommit: () throws -> Void) throws -> ReportImportSummary {
        var summary = ReportImportSummary()
        let storedAt = ISO8601DateFormatter().string(from: Date())
        try queue.write { db in
            try Self.file(instance, derivedFrom: nil, storedAt: storedAt, in: db)
            if let report {
                summary.read = 1
                var workspace = ReportLabeler.Workspace()
                let labels = labeler.label(report, workspace: &workspace)
                try store(report, labels: labels, source: source, file: report.source.description, db, &summary)
            }
            try beforeCommit()
        }
        return summary
    }
}

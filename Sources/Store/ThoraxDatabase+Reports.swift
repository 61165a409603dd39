import GRDB
import Reports

/// What a report import did.
public struct ReportImportSummary: Equatable, Sendable {
    public var read = 0
    public var added = 0
    public var updated = 0
    public var unchanged = 0
    /// Label rows written (for added and updated reports).
    public var labelsWritten = 0
    /// Reports stored linked to their study (found by the Study Instance UID or accession
    /// number the report names; a report naming a study not in the database stays unlinked).
    public var linked = 0
    /// One message per input that could not be read or was a duplicate ("path:line: why").
    public var failures: [String] = []
}

extension ThoraxDatabase {
    /// Stores reports (text by section, the file they came from) and the labels `labeler`
    /// mines from them: one `labeller` label per class it mentions (1, 0 or -1, with the
    /// mentions' rules and words as evidence), and "No Finding" = 1 when nothing is positive or
    /// uncertain. Reports are keyed by `source` (a collection name such as "openi") and id.
    ///
    /// Inputs that fail to read, and a second report with an id already read in this import,
    /// are listed in `failures`; the others are stored. Idempotent: a report whose text,
    /// sections, file and labels are unchanged is not written. One transaction.
    @discardableResult
    public func importReports<Inputs: Sequence>(
        _ reports: Inputs, source: String, labeler: ReportLabeler,
        progress: ((_ read: Int) -> Void)? = nil
    ) throws -> ReportImportSummary where Inputs.Element == Result<Report, ReportReadError> {
        var summary = ReportImportSummary()
        try queue.write { db in
            var workspace = ReportLabeler.Workspace()
            var seen: [String: String] = [:]
            for result in reports {
                summary.read += 1
                if summary.read % 256 == 0 { progress?(summary.read) }
                let report: Report
                switch result {
                case let .success(value): report = value
                case let .failure(error):
                    summary.failures.append("\(error)")
                    continue
                }
                let location = report.source.description
                if let first = seen.updateValue(location, forKey: report.id) {
                    summary.failures.append("\(location): report id \(report.id) was already read from \(first); skipped")
                    continue
                }
                let labels = labeler.label(report, workspace: &workspace)
                try store(report, labels: labels, source: source, file: location, db, &summary)
            }
        }
        progress?(summary.read)
        return summary
    }

    /// The label rows `labels` makes: (class, value, evidence).
    private static func labelRows(_ labels: ReportLabels) -> [StoredReportLabel] {
        var rows: [StoredReportLabel] = []
        for finding in Finding.allCases {
            guard let value = labels[finding] else { continue }
            let evidence = labels.mentions.filter { $0.finding == finding && $0.status == value }
                .map { "\($0.rule): \($0.text)" }.joined(separator: "; ")
            rows.append(StoredReportLabel(finding: finding.rawValue, value: value.rawValue, evidence: evidence))
        }
        if labels.noFinding {
            rows.append(StoredReportLabel(finding: Findings.noFinding, value: 1, evidence: nil))
        }
        return rows
    }

    private struct StoredReportLabel: Equatable {
        var finding: String
        var value: Int
        var evidence: String?
    }

    private struct StoredSection: Equatable {
        var name: String
        var text: String
    }

    func store(_ report: Report, labels: ReportLabels, source: String, file: String, _ db: Database,
                       _ summary: inout ReportImportSummary) throws {
        let text = report.fullText
        // A section without a heading is stored under the empty name.
        let sections = report.sections.map { StoredSection(name: $0.name ?? "", text: $0.text) }
        let rows = Self.labelRows(labels)
        let link = try Self.study(of: report.study, db)
        if link != nil { summary.linked += 1 }
        let reportID: Int64
        if let existing = try Row.fetchOne(db, sql: "SELECT id, text, file, study_id FROM reports WHERE source = ? AND identifier = ?",
                                           arguments: [source, report.id]) {
            reportID = existing[0]
            let storedSections = try Row.fetchAll(db, sql: "SELECT name, text FROM report_sections WHERE report_id = ? ORDER BY position",
                                                  arguments: [reportID]).map { StoredSection(name: $0[0], text: $0[1]) }
            let storedLabels = try Row.fetchAll(db, sql: """
                SELECT l.class, l.value, l.evidence FROM labels l JOIN classes c ON c.name = l.class
                WHERE l.report_id = ? AND l.source = 'labeller' ORDER BY c.position
                """, arguments: [reportID]).map { StoredReportLabel(finding: $0[0], value: $0[1], evidence: $0[2]) }
            let storedStudy: Int64? = existing[3]
            if existing[1] == text, existing[2] == file, storedSections == sections, storedLabels == rows, storedStudy == link?.study {
                summary.unchanged += 1
                return
            }
            try db.execute(sql: "UPDATE reports SET text = ?, file = ?, study_id = ?, patient_id = ? WHERE id = ?",
                           arguments: [text, file, link?.study, link?.patient, reportID])
            try db.execute(sql: "DELETE FROM report_sections WHERE report_id = ?", arguments: [reportID])
            try db.execute(sql: "DELETE FROM labels WHERE report_id = ? AND source = 'labeller'", arguments: [reportID])
            summary.updated += 1
        } else {
            try db.execute(sql: "INSERT INTO reports (source, identifier, text, file, study_id, patient_id) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [source, report.id, text, file, link?.study, link?.patient])
            reportID = db.lastInsertedRowID
            summary.added += 1
        }
        for (position, section) in sections.enumerated() {
            try db.execute(sql: "INSERT INTO report_sections (report_id, position, name, text) VALUES (?, ?, ?, ?)",
                           arguments: [reportID, position, section.name, section.text])
        }
        for row in rows {
            try db.execute(sql: "INSERT INTO labels (report_id, class, value, source, evidence) VALUES (?, ?, ?, 'labeller', ?)",
                           arguments: [reportID, row.finding, row.value, row.evidence])
        }
        summary.labelsWritten += rows.count
    }

    /// The stored study (and its patient) a report names: by Study Instance UID (a DICOM
    /// study's identifier), else by accession number when exactly one study has it; nil when
    /// the report names none or the database holds no such study.
    static func study(of reference: StudyReference?, _ db: Database) throws -> (study: Int64, patient: Int64)? {
        guard let reference else { return nil }
        if let uid = reference.studyInstanceUID,
           let row = try Row.fetchOne(db, sql: "SELECT id, patient_id FROM studies WHERE identifier = ? ORDER BY id LIMIT 1", arguments: [uid]) {
            return (row[0], row[1])
        }
        if let accession = reference.accessionNumber {
            let rows = try Row.fetchAll(db, sql: "SELECT id, patient_id FROM studies WHERE accession_number = ? LIMIT 2", arguments: [accession])
            if rows.count == 1 { return (rows[0][0], rows[0][1]) }
        }
        return nil
    }
}

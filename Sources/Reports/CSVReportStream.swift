import Foundation

/// Streams the reports of one CSV file: with a header holding `id` and `report` columns (any
/// case, any order, other columns ignored), or headerless with one column of report texts
/// (id = data row number from 1; a first row reading just `report` or `reports` is a header).
final class CSVReportStream {
    private let path: String
    private let rows: CSVRowReader
    private let idColumn: Int?
    private let reportColumn: Int
    private let width: Int
    private var pendingFirst: CSVRowReader.Row?
    private var rowNumber = 0
    private var finished = false

    private init(path: String, rows: CSVRowReader, idColumn: Int?, reportColumn: Int, width: Int,
                 pendingFirst: CSVRowReader.Row?) {
        self.path = path
        self.rows = rows
        self.idColumn = idColumn
        self.reportColumn = reportColumn
        self.width = width
        self.pendingFirst = pendingFirst
    }

    /// Opens `path` and reads its first row to learn the layout; errors name the file.
    static func open(path: String) -> Result<CSVReportStream, ReportReadError> {
        let source = ReportSource(path: path)
        let rows: CSVRowReader
        do {
            rows = try CSVRowReader(url: URL(fileURLWithPath: path))
        } catch {
            return .failure(ReportReadError(source: source, message: "cannot read file: \(error.localizedDescription)"))
        }
        let first: CSVRowReader.Row
        do {
            switch try rows.next() {
            case nil:
                return .failure(ReportReadError(source: source, message: "empty CSV file"))
            case .failure(let error):
                return .failure(ReportReadError(source: ReportSource(path: path, line: error.line), message: error.message))
            case .success(let row):
                first = row
            }
        } catch {
            return .failure(ReportReadError(source: source, message: "cannot read file: \(error.localizedDescription)"))
        }
        let names = first.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if names.count == 1 {
            let isHeader = names[0] == "report" || names[0] == "reports"
            return .success(CSVReportStream(path: path, rows: rows, idColumn: nil, reportColumn: 0, width: 1,
                                            pendingFirst: isHeader ? nil : first))
        }
        guard let idColumn = names.firstIndex(of: "id"),
              let reportColumn = names.firstIndex(where: { $0 == "report" || $0 == "reports" || $0 == "text" }) else {
            return .failure(ReportReadError(source: ReportSource(path: path, line: first.line), message:
                "CSV header needs an 'id' and a 'report' column (or the file must have a single column of report texts); found: \(first.fields.joined(separator: ", "))"))
        }
        return .success(CSVReportStream(path: path, rows: rows, idColumn: idColumn, reportColumn: reportColumn,
                                        width: names.count, pendingFirst: nil))
    }

    /// The next report or row error; nil at the end of the file.
    func next() -> Result<Report, ReportReadError>? {
        guard !finished else { return nil }
        let row: CSVRowReader.Row
        if let first = pendingFirst {
            pendingFirst = nil
            row = first
        } else {
            do {
                switch try rows.next() {
                case nil:
                    finished = true
                    return nil
                case .failure(let error):
                    if error.fatal { finished = true }
                    rowNumber += 1
                    return .failure(ReportReadError(source: ReportSource(path: path, line: error.line), message: error.message))
                case .success(let r):
                    row = r
                }
            } catch {
                finished = true
                return .failure(ReportReadError(source: ReportSource(path: path), message: "cannot read file: \(error.localizedDescription)"))
            }
        }
        rowNumber += 1
        let source = ReportSource(path: path, line: row.line)
        guard row.fields.count == width else {
            return .failure(ReportReadError(source: source, message: "row has \(row.fields.count) fields, the header has \(width)"))
        }
        let text = row.fields[reportColumn]
        let id = idColumn.map { row.fields[$0].trimmingASCIIWhitespace } ?? String(rowNumber)
        guard !id.isEmpty else {
            return .failure(ReportReadError(source: source, message: "empty id"))
        }
        guard text.hasNonWhitespace else {
            return .failure(ReportReadError(source: source, message: "empty report (id \(id))"))
        }
        return .success(Report(id: id, text: text, source: source))
    }
}

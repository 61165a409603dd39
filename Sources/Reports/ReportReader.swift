import Foundation

/// Reads reports from any mix of files and directories, streaming, one result per report or per
/// failed input.
///
/// Formats, by file extension: `.xml` OpenI/ecgen XML (id = `uId`, sections from
/// `<AbstractText Label=…>`; MeSH and other coded fields are never read); `.csv` with a header
/// holding `id` and `report` columns, or a headerless one-column CSV of report texts (id = data
/// row number, from 1); anything else is plain text (id = file stem, sections found from their
/// headings). Directories are walked recursively in name order, reading `.xml`, `.csv` and
/// `.txt` files and skipping hidden ones.
///
/// Every problem becomes one `ReportReadError` naming the file (and row) while all other
/// reports are still read: a missing or unreadable file, malformed XML, invalid UTF-8, an empty
/// report, a CSV without the needed columns or with a row of the wrong width.
public struct ReportReader: Sequence, Sendable {
    public var paths: [String]

    public init(paths: [String]) {
        self.paths = paths
    }

    public func makeIterator() -> Iterator {
        Iterator(paths: paths)
    }

    public final class Iterator: IteratorProtocol {
        private var pending: [String]
        private var csv: CSVReportStream?

        init(paths: [String]) {
            pending = paths.reversed()
        }

        public func next() -> Result<Report, ReportReadError>? {
            while true {
                if let stream = csv {
                    if let result = stream.next() { return result }
                    csv = nil
                }
                guard let path = pending.popLast() else { return nil }
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                    return .failure(ReportReadError(source: ReportSource(path: path), message: "no such file or directory"))
                }
                if isDirectory.boolValue {
                    do {
                        let children = try FileManager.default.contentsOfDirectory(atPath: path)
                            .filter { !$0.hasPrefix(".") }
                            .sorted()
                            .map { (path as NSString).appendingPathComponent($0) }
                            .filter { child in
                                var childIsDirectory: ObjCBool = false
                                _ = FileManager.default.fileExists(atPath: child, isDirectory: &childIsDirectory)
                                return childIsDirectory.boolValue
                                    || ["xml", "csv", "txt"].contains((child as NSString).pathExtension.lowercased())
                            }
                        pending.append(contentsOf: children.reversed())
                    } catch {
                        return .failure(ReportReadError(source: ReportSource(path: path), message: "cannot list directory: \(error.localizedDescription)"))
                    }
                    continue
                }
                switch (path as NSString).pathExtension.lowercased() {
                case "xml":
                    return ReportFormats.readXML(path: path)
                case "csv":
                    switch CSVReportStream.open(path: path) {
                    case .success(let stream): csv = stream
                    case .failure(let error): return .failure(error)
                    }
                default:
                    return ReportFormats.readPlainText(path: path)
                }
            }
        }
    }
}

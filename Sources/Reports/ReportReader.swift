import Foundation

/// Reads reports from any mix of files and directories, streaming, one result per report or per
/// failed input.
///
/// Formats, by file extension: `.xml` OpenI/ecgen XML (id = `uId`, sections from
/// `<AbstractText Label=…>`; MeSH and other coded fields are never read); `.csv` with a header
/// holding `id` and `report` columns, or a headerless one-column CSV of report texts (id = data
/// row number, from 1); anything else is plain text (id = file stem, sections found from their
/// headings); `.hl7` HL7 v2 ORU^R01 messages, one report per message (`HL7Reports`).
/// Directories are walked recursively in name order, reading `.xml`, `.csv`, `.txt` and `.hl7`
/// files and skipping hidden ones (`reportFiles(in:)` lists them and counts the others).
///
/// Every problem becomes one `ReportReadError` naming the file (and row) while all other
/// reports are still read: a missing or unreadable file, a directory holding no report file,
/// malformed XML, invalid UTF-8, an empty report, a CSV without the needed columns or with a
/// row of the wrong width.
public struct ReportReader: Sequence, Sendable {
    /// Reads one file of a format this module does not know (e.g. DICOM SR, which needs a
    /// DICOM parser): its report, or an error naming it.
    public typealias FileReader = @Sendable (_ path: String) -> Result<Report, ReportReadError>

    public var paths: [String]
    /// Readers of further formats by lowercase file extension, also searched for in directories.
    public var additionalFormats: [String: FileReader]

    public init(paths: [String], additionalFormats: [String: FileReader] = [:]) {
        self.paths = paths
        self.additionalFormats = additionalFormats
    }

    public func makeIterator() -> Iterator {
        Iterator(paths: paths, additionalFormats: additionalFormats)
    }

    public final class Iterator: IteratorProtocol {
        private var pending: [String]
        private var csv: CSVReportStream?
        /// The rest of an HL7 file's messages, reversed.
        private var queued: [Result<Report, ReportReadError>] = []
        private let additionalFormats: [String: FileReader]

        init(paths: [String], additionalFormats: [String: FileReader]) {
            pending = paths.reversed()
            self.additionalFormats = additionalFormats
        }

        public func next() -> Result<Report, ReportReadError>? {
            while true {
                if let result = queued.popLast() { return result }
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
                    switch ReportReader.reportFiles(in: path, additionalExtensions: Array(additionalFormats.keys)) {
                    case .success(let listing) where listing.files.isEmpty:
                        return .failure(ReportReadError(source: ReportSource(path: path), message: listing.describeNoReports()))
                    case .success(let listing):
                        pending.append(contentsOf: listing.files.reversed())
                    case .failure(let error):
                        return .failure(error)
                    }
                    continue
                }
                let fileExtension = (path as NSString).pathExtension.lowercased()
                if let read = additionalFormats[fileExtension] { return read(path) }
                switch fileExtension {
                case "xml":
                    return ReportFormats.readXML(path: path)
                case "hl7":
                    queued = HL7Reports.read(path: path).reversed()
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

extension ReportReader {
    /// The file extensions read in directories (lowercase).
    public static let reportExtensions = ["xml", "csv", "txt", "hl7"]

    /// What a directory holds for the reader: its report files, and the files it leaves alone.
    public struct DirectoryListing: Sendable, Equatable {
        /// The `.xml`, `.csv` and `.txt` files, recursively, in name order at each level.
        public var files: [String] = []
        /// Other files (not hidden), recursively: not read.
        public var others: [String] = []

        /// Why a directory with no report file gives no report: what was looked for, and what
        /// is there instead (a count and the first file).
        public func describeNoReports() -> String {
            var text = "no report files (.xml, .csv, .txt or .hl7) in this folder"
            if let first = others.first {
                text += "; it holds \(others.count) other file\(others.count == 1 ? "" : "s") (first: \((first as NSString).lastPathComponent))"
            } else {
                text += "; it is empty"
            }
            return text
        }
    }

    /// The report files under `directory` (recursively, hidden entries skipped, names sorted
    /// at each level, a subfolder's files where its name sorts) and the other files there.
    /// Fails with a `ReportReadError` naming the folder that cannot be listed.
    public static func reportFiles(in directory: String, additionalExtensions: [String] = []) -> Result<DirectoryListing, ReportReadError> {
        var listing = DirectoryListing()
        func walk(_ folder: String) -> ReportReadError? {
            let children: [String]
            do {
                children = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
            } catch {
                return ReportReadError(source: ReportSource(path: folder), message: "cannot list directory: \(error.localizedDescription)")
            }
            for name in children {
                let child = (folder as NSString).appendingPathComponent(name)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: child, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    if let error = walk(child) { return error }
                } else if (reportExtensions + additionalExtensions).contains((name as NSString).pathExtension.lowercased()) {
                    listing.files.append(child)
                } else {
                    listing.others.append(child)
                }
            }
            return nil
        }
        if let error = walk(directory) { return .failure(error) }
        return .success(listing)
    }
}

extension ReportReader {
    /// Inputs as the reader will read them, and the files it will leave alone.
    public struct ExpandedInputs: Sendable, Equatable {
        /// Files as given, each directory replaced by its report files. A directory with none,
        /// or one that cannot be listed, stays as it is, so that reading it gives the error
        /// that names it.
        public var paths: [String] = []
        /// Files inside the directories that are not report files (not read).
        public var others: [String] = []
    }

    /// Expands the directories among `inputs` into their report files (`reportFiles(in:)`),
    /// so that a command can say which files it leaves alone before reading.
    public static func expand(_ inputs: [String], additionalExtensions: [String] = []) -> ExpandedInputs {
        var expanded = ExpandedInputs()
        for input in inputs {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), isDirectory.boolValue,
                  case .success(let listing) = reportFiles(in: input, additionalExtensions: additionalExtensions),
                  !listing.files.isEmpty else {
                expanded.paths.append(input)
                continue
            }
            expanded.paths += listing.files
            expanded.others += listing.others
        }
        return expanded
    }
}

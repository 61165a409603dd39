import Foundation

/// The labeller's output formats: the label CSV and JSON lines with every mention.
public enum LabelOutput {
    /// `id,Atelectasis,…,Hernia,No Finding`
    public static let csvHeader = (["id"] + Finding.allCases.map(\.rawValue) + [Finding.noFindingName]).joined(separator: ",")

    /// One CSV row: the id (quoted when it holds a comma, quote or line break), then `1`, `0`,
    /// `-1` or empty per finding, then No Finding as `1` or `0`. No line break at the end.
    public static func csvRow(_ labels: ReportLabels) -> String {
        var row = csvField(labels.id)
        for value in labels.values {
            row += ","
            if let value { row += String(value.rawValue) }
        }
        row += labels.noFinding ? ",1" : ",0"
        return row
    }

    /// A CSV field, quoted (RFC 4180) when needed.
    public static func csvField(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One JSON object (one line) for a report: its labels (only the mentioned findings), No
    /// Finding and every mention with section, sentence, span (Unicode scalars), text, status and rule.
    public static func jsonLine(_ labels: ReportLabels) throws -> String {
        let record = JSONRecord(
            id: labels.id,
            labels: Dictionary(uniqueKeysWithValues: Finding.allCases.compactMap { f in labels[f].map { (f.rawValue, $0.rawValue) } }),
            noFinding: labels.noFinding ? 1 : 0,
            mentions: labels.mentions.map {
                JSONMention(finding: $0.finding.rawValue, status: $0.status.name, section: $0.section,
                            sentence: $0.sentence, span: [$0.span.lowerBound, $0.span.upperBound], text: $0.text, rule: $0.rule)
            })
        return String(decoding: try encoder.encode(record), as: UTF8.self)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    struct JSONRecord: Encodable {
        var id: String
        var labels: [String: Int]
        var noFinding: Int
        var mentions: [JSONMention]
        enum CodingKeys: String, CodingKey {
            case id, labels, mentions
            case noFinding = "No Finding"
        }
    }

    struct JSONMention: Encodable {
        var finding: String
        var status: String
        var section: String?
        var sentence: String
        var span: [Int]
        var text: String
        var rule: String
        enum CodingKeys: String, CodingKey {
            case finding = "class"
            case status, section, sentence, span, text, rule
        }
    }
}

/// Writes a file atomically: everything goes to a temporary file beside the destination, which
/// replaces the destination only on `commit()`. Without `commit()` (an error, a crash) the
/// destination is untouched and the temporary file is removed.
///
/// Writes are buffered (256 KiB) so that streaming many small rows stays cheap.
public final class AtomicFileWriter {
    public let destination: URL
    private let temporary: URL
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var committed = false

    /// Creates the temporary file; throws when the destination's folder is not writable.
    public init(destination: URL) throws {
        self.destination = destination
        let folder = destination.deletingLastPathComponent()
        temporary = folder.appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: destination.path,
                NSLocalizedDescriptionKey: "cannot create a file in \(folder.path)"])
        }
        handle = try FileHandle(forWritingTo: temporary)
        buffer.reserveCapacity(1 << 18)
    }

    deinit {
        if !committed {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporary)
        }
    }

    /// Appends `text` and a line break.
    public func writeLine(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        buffer.append(10)
        if buffer.count >= 1 << 18 { try flush() }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, closes and renames the temporary file over the destination.
    public func commit() throws {
        try flush()
        try handle.synchronize()
        try handle.close()
        // rename(2) replaces the destination in one step (same folder, same file system).
        guard rename(temporary.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            committed = true
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination.path,
                NSLocalizedDescriptionKey: "cannot move the finished output to \(destination.path): \(reason)"])
        }
        committed = true
    }
}

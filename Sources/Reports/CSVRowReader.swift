import Foundation

/// Reads an RFC 4180 CSV file row by row in constant memory (1 MiB chunks).
///
/// Hand-written because Foundation has no CSV reader and the project takes no third-party
/// dependency for the Reports module. Quoted fields may hold commas, doubled quotes and line
/// breaks; CRLF and LF line ends are both accepted; a UTF-8 byte-order mark is skipped.
final class CSVRowReader {
    /// One row: its fields (UTF-8 checked) and the 1-based line on which it starts.
    struct Row {
        var fields: [String]
        var line: Int
    }

    /// A problem with one row (bad UTF-8) or with the rest of the file (an unclosed quote).
    struct RowError: Error {
        var line: Int
        var message: String
        /// True when reading cannot go on past this error.
        var fatal: Bool
    }

    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var endOfFile = false
    private var line = 1
    private var atStart = true
    static let chunkSize = 1 << 20

    init(url: URL) throws {
        handle = try FileHandle(forReadingFrom: url)
    }

    deinit { try? handle.close() }

    private func refill() throws -> Bool {
        guard !endOfFile else { return false }
        let data = try handle.read(upToCount: Self.chunkSize) ?? Data()
        if data.isEmpty { endOfFile = true; return false }
        if position > 0 { buffer.removeFirst(position); position = 0 }
        buffer.append(contentsOf: data)
        if atStart {
            atStart = false
            if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        }
        return true
    }

    /// The next row, nil at the end of the file. Blank lines are skipped.
    func next() throws -> Result<Row, RowError>? {
        while true {
            guard let result = try parseRow() else { return nil }
            if case .success(let row) = result, row.fields.count == 1, row.fields[0].isEmpty { continue }
            return result
        }
    }

    private func parseRow() throws -> Result<Row, RowError>? {
        var fields: [[UInt8]] = []
        var field: [UInt8] = []
        let startLine = line
        var inQuotes = false
        var quotedField = false
        var sawAnything = false
        while true {
            // `while`, not `if`: a refill can leave nothing to read (a file holding only its
            // byte-order mark), and reading on would index past the buffer (Fuzz/FuzzReports).
            while position >= buffer.count {
                guard try refill() else {
                    if inQuotes {
                        return .failure(RowError(line: startLine, message: "a quoted field opened here is never closed", fatal: true))
                    }
                    if !sawAnything { return nil }
                    fields.append(field)
                    return decode(fields, line: startLine)
                }
            }
            sawAnything = true
            // Copy the run of ordinary bytes up to the next special one in one step.
            let runEnd = buffer.withUnsafeBufferPointer { bytes -> Int in
                var j = position
                if inQuotes {
                    while j < bytes.count, bytes[j] != 34, bytes[j] != 10 { j += 1 }
                } else {
                    while j < bytes.count, bytes[j] != 44, bytes[j] != 10, bytes[j] != 13, bytes[j] != 34 { j += 1 }
                }
                return j
            }
            if runEnd > position {
                field.append(contentsOf: buffer[position..<runEnd])
                position = runEnd
                continue
            }
            let b = buffer[position]
            position += 1
            if inQuotes {
                if b == 34 { // "
                    if position >= buffer.count { _ = try refill() }
                    if position < buffer.count, buffer[position] == 34 {
                        field.append(34); position += 1
                    } else {
                        inQuotes = false
                    }
                } else { // a line break inside quotes
                    line += 1
                    field.append(b)
                }
                continue
            }
            switch b {
            case 44: // ,
                fields.append(field); field.removeAll(keepingCapacity: true); quotedField = false
            case 10:
                line += 1
                fields.append(field)
                return decode(fields, line: startLine)
            case 13:
                break
            case 34 where field.isEmpty && !quotedField:
                inQuotes = true; quotedField = true
            default:
                field.append(b)
            }
        }
    }

    private func decode(_ fields: [[UInt8]], line: Int) -> Result<Row, RowError> {
        var strings: [String] = []
        strings.reserveCapacity(fields.count)
        for (k, bytes) in fields.enumerated() {
            guard let s = String(validating: bytes, as: UTF8.self) else {
                return .failure(RowError(line: line, message: "field \(k + 1) is not valid UTF-8", fatal: false))
            }
            strings.append(s)
        }
        return .success(Row(fields: strings, line: line))
    }
}

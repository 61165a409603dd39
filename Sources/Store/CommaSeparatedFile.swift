import Foundation

/// A text file read whole and split into lines of comma-separated fields, by position.
///
/// Hand-written rather than a CSV library: the NIH files are plain ASCII without quoting, and
/// the Data_Entry header has unquoted commas inside column names, so they must be read by
/// position anyway; reading fields straight from the bytes (no string per number) keeps
/// 112,120 rows to a tenth of a second. A quote character is rejected with the file and line
/// rather than guessed at. Lines may end in LF or CRLF; blank lines are skipped (their numbers
/// still count).
struct CommaSeparatedFile {
    /// The path, used in error messages.
    let file: String
    private let bytes: [UInt8]

    /// Reads `url` whole. Throws `StoreError.cannotRead` naming the file.
    init(_ url: URL) throws {
        file = url.path
        do {
            bytes = [UInt8](try Data(contentsOf: url))
        } catch {
            throw StoreError.cannotRead(file: url.path, reason: error.localizedDescription)
        }
    }

    /// A line's number (from 1) and fields, valid only inside `forEachLine`'s body.
    struct Line {
        let number: Int
        fileprivate let buffer: UnsafeBufferPointer<UInt8>
        fileprivate let ranges: [Range<Int>]

        var count: Int { ranges.count }

        /// Field `index` as text (nil when not UTF-8).
        func string(_ index: Int) -> String? {
            String(validating: UnsafeBufferPointer(rebasing: buffer[ranges[index]]), as: UTF8.self)
        }

        /// Field `index` as a decimal integer with an optional leading '-'; nil otherwise.
        func integer(_ index: Int) -> Int? {
            let range = ranges[index]
            var position = range.lowerBound
            let negative = position < range.upperBound && buffer[position] == UInt8(ascii: "-")
            if negative { position += 1 }
            guard position < range.upperBound, range.upperBound - position <= 18 else { return nil }
            var value = 0
            while position < range.upperBound {
                let digit = Int(buffer[position]) - 48
                guard digit >= 0 && digit <= 9 else { return nil }
                value = value * 10 + digit
                position += 1
            }
            return negative ? -value : value
        }

        /// Field `index` as a decimal number (C `strtod` syntax, the whole field); nil otherwise.
        func double(_ index: Int) -> Double? {
            let range = ranges[index]
            guard !range.isEmpty, range.count < 64 else { return nil }
            return withUnsafeTemporaryAllocation(of: CChar.self, capacity: range.count + 1) { text -> Double? in
                for (offset, position) in range.enumerated() { text[offset] = CChar(bitPattern: buffer[position]) }
                text[range.count] = 0
                var end: UnsafeMutablePointer<CChar>?
                let value = strtod(text.baseAddress!, &end)
                guard let end, end == text.baseAddress! + range.count else { return nil }
                return value
            }
        }

        /// Whether field `index` is empty.
        func isEmpty(_ index: Int) -> Bool { ranges[index].isEmpty }

        /// The whole line as text, for header checks.
        var text: String {
            String(decoding: UnsafeBufferPointer(rebasing: buffer[ranges.first!.lowerBound..<ranges.last!.upperBound]),
                   as: UTF8.self)
        }
    }

    /// Calls `body` for every non-blank line in order. Throws what `body` throws, and
    /// `StoreError.badLine` for a line holding a quote.
    func forEachLine(_ body: (Line) throws -> Void) throws {
        var number = 0
        var start = 0
        let count = bytes.count
        try bytes.withUnsafeBufferPointer { buffer in
            var ranges: [Range<Int>] = []
            ranges.reserveCapacity(16)
            while start < count {
                number += 1
                var end = start
                while end < count && buffer[end] != 0x0A { end += 1 }
                let next = end + 1
                if end > start && buffer[end - 1] == 0x0D { end -= 1 }
                if end > start {
                    ranges.removeAll(keepingCapacity: true)
                    var fieldStart = start
                    for position in start..<end {
                        let byte = buffer[position]
                        if byte == 0x2C {
                            ranges.append(fieldStart..<position)
                            fieldStart = position + 1
                        } else if byte == 0x22 {
                            throw StoreError.badLine(
                                file: file, line: number,
                                reason: "quoted fields are not supported (the NIH files have none)")
                        }
                    }
                    ranges.append(fieldStart..<end)
                    try body(Line(number: number, buffer: buffer, ranges: ranges))
                }
                start = next
            }
        }
    }
}

/// What the Swift JPEG decoders share (`LosslessJPEGDecoder`, `SequentialJPEGDecoder`): the
/// marker walk from SOI to EOI with its tables (DHT, DQT, DRI), frame and scan headers, the
/// canonical Huffman tables and the bit reader of entropy-coded data (ITU-T T.81 Annex B, C, F).
/// Written in Swift because the processes they serve (lossless, 12-bit DCT) have no decoder with
/// a C API in Debian.
struct JPEGDecodingFailure: Error { let reason: String }

/// The decoded samples, interleaved `components` per pixel, each < 2^precision.
struct JPEGDecodedImage {
    var width: Int
    var height: Int
    var components: Int
    var precision: Int
    var samples: [UInt32]
}

/// A frame header (SOFn): precision, size and per-component sampling and quantization table.
struct JPEGFrameHeader {
    struct Component {
        var identifier: Int
        var horizontalSampling: Int
        var verticalSampling: Int
        var quantizationTable: Int
    }
    var marker: Int
    var precision: Int
    var height: Int
    var width: Int
    var components: [Component]
}

/// A scan header (SOS): which frame components it holds, their tables, and the parameters whose
/// meaning depends on the process (lossless: predictor and point transform in `spectralStart`
/// and `approximationLow`; sequential DCT: 0, 63, 0, 0).
struct JPEGScanHeader {
    var componentIndices: [Int]
    var dcTables: [Int]
    var acTables: [Int]
    var spectralStart: Int
    var spectralEnd: Int
    var approximationHigh: Int
    var approximationLow: Int
}

/// The tables in force when a scan starts (T.81 B.2.4: tables may change between scans).
struct JPEGTables {
    var dc = [JPEGHuffmanTable?](repeating: nil, count: 4)
    var ac = [JPEGHuffmanTable?](repeating: nil, count: 4)
    /// Quantization tables in natural (row-major) order, 64 values each.
    var quantization = [[Int]?](repeating: nil, count: 4)
    var restartInterval = 0
}

enum JPEGStream {
    /// Walks the marker segments of `data` from SOI to EOI. `frame` sees the first SOFn header
    /// (it throws for processes its decoder does not handle); `scan` decodes the entropy-coded
    /// segment that starts at the given position and returns the position after it. Throws
    /// `JPEGDecodingFailure` for malformed segments, a scan before the frame, or no scan.
    static func walk(_ data: [UInt8], frame: (JPEGFrameHeader) throws -> Void,
                     scan: (JPEGFrameHeader, JPEGScanHeader, JPEGTables, Int) throws -> Int) throws {
        guard data.count >= 4, data[0] == 0xFF, data[1] == 0xD8 else { throw JPEGDecodingFailure(reason: "no JPEG SOI marker") }
        var tables = JPEGTables()
        var header: JPEGFrameHeader? = nil
        var position = 2
        var decodedScan = false
        func uint16(_ at: Int) throws -> Int {
            guard at + 1 < data.count else { throw JPEGDecodingFailure(reason: "stream is truncated at byte \(at)") }
            return Int(data[at]) << 8 | Int(data[at + 1])
        }
        while position + 1 < data.count {
            guard data[position] == 0xFF else { throw JPEGDecodingFailure(reason: "expected a marker at byte \(position)") }
            let marker = Int(data[position + 1])
            position += 2
            if marker == 0xFF { position -= 1; continue }
            if marker == 0xD9 { break }                                 // EOI
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) { continue }
            let length = try uint16(position)
            let segmentEnd = position + length
            guard length >= 2, segmentEnd <= data.count else {
                throw JPEGDecodingFailure(reason: "marker segment at byte \(position - 2) is truncated")
            }
            switch marker {
            case 0xC0...0xCF where marker != 0xC4 && marker != 0xC8 && marker != 0xCC:   // SOFn
                guard header == nil else { throw JPEGDecodingFailure(reason: "a second frame header at byte \(position - 2)") }
                guard length >= 8 else { throw JPEGDecodingFailure(reason: "SOF\(marker - 0xC0) segment is too short") }
                let count = Int(data[position + 7])
                guard length >= 8 + 3 * count else { throw JPEGDecodingFailure(reason: "SOF\(marker - 0xC0) segment is too short") }
                let components = (0..<count).map { k -> JPEGFrameHeader.Component in
                    let at = position + 8 + 3 * k
                    return JPEGFrameHeader.Component(identifier: Int(data[at]), horizontalSampling: Int(data[at + 1]) >> 4,
                                                     verticalSampling: Int(data[at + 1]) & 0x0F,
                                                     quantizationTable: Int(data[at + 2]))
                }
                let parsed = JPEGFrameHeader(marker: marker, precision: Int(data[position + 2]), height: try uint16(position + 3),
                                             width: try uint16(position + 5), components: components)
                try frame(parsed)
                header = parsed
            case 0xC4:                                                    // DHT
                var at = position + 2
                while at < segmentEnd {
                    let tableClass = Int(data[at]) >> 4, index = Int(data[at]) & 0x0F
                    guard tableClass < 2, index < 4, at + 17 <= segmentEnd else { throw JPEGDecodingFailure(reason: "invalid Huffman table") }
                    let counts = (0..<16).map { Int(data[at + 1 + $0]) }
                    let total = counts.reduce(0, +)
                    guard at + 17 + total <= segmentEnd else { throw JPEGDecodingFailure(reason: "Huffman table is truncated") }
                    let table = JPEGHuffmanTable(counts: counts, symbols: Array(data[(at + 17)..<(at + 17 + total)]))
                    if tableClass == 0 { tables.dc[index] = table } else { tables.ac[index] = table }
                    at += 17 + total
                }
            case 0xDB:                                                    // DQT, 8- or 16-bit entries in zigzag order
                var at = position + 2
                while at < segmentEnd {
                    let wide = Int(data[at]) >> 4, index = Int(data[at]) & 0x0F
                    let size = wide == 1 ? 128 : 64
                    guard wide < 2, index < 4, at + 1 + size <= segmentEnd else { throw JPEGDecodingFailure(reason: "invalid quantization table") }
                    var table = [Int](repeating: 0, count: 64)
                    for k in 0..<64 {
                        table[JPEGStream.naturalOrder[k]] = wide == 1 ? Int(data[at + 1 + 2 * k]) << 8 | Int(data[at + 2 + 2 * k])
                                                                      : Int(data[at + 1 + k])
                    }
                    tables.quantization[index] = table
                    at += 1 + size
                }
            case 0xDD:                                                    // DRI
                guard length >= 4 else { throw JPEGDecodingFailure(reason: "DRI segment is too short") }
                tables.restartInterval = try uint16(position + 2)
            case 0xDA:                                                    // SOS
                guard let header else { throw JPEGDecodingFailure(reason: "scan before the frame header") }
                let count = length >= 3 ? Int(data[position + 2]) : 0
                guard (1...4).contains(count), length >= 6 + 2 * count else { throw JPEGDecodingFailure(reason: "invalid scan header") }
                var scanHeader = JPEGScanHeader(componentIndices: [], dcTables: [], acTables: [],
                                                spectralStart: Int(data[position + 3 + 2 * count]),
                                                spectralEnd: Int(data[position + 4 + 2 * count]),
                                                approximationHigh: Int(data[position + 5 + 2 * count]) >> 4,
                                                approximationLow: Int(data[position + 5 + 2 * count]) & 0x0F)
                for k in 0..<count {
                    let identifier = Int(data[position + 3 + 2 * k])
                    guard let index = header.components.firstIndex(where: { $0.identifier == identifier }),
                          !scanHeader.componentIndices.contains(index) else {
                        throw JPEGDecodingFailure(reason: "scan names unknown or repeated component \(identifier)")
                    }
                    scanHeader.componentIndices.append(index)
                    scanHeader.dcTables.append(Int(data[position + 4 + 2 * k]) >> 4)
                    scanHeader.acTables.append(Int(data[position + 4 + 2 * k]) & 0x0F)
                }
                position = try scan(header, scanHeader, tables, segmentEnd)
                decodedScan = true
                continue
            default:
                break                                                     // APPn, COM, DNL…: skipped
            }
            position = segmentEnd
        }
        guard decodedScan else { throw JPEGDecodingFailure(reason: "the stream has no frame and scan") }
    }

    /// The position of the next marker that is not a restart marker, from `start` (the end of
    /// a scan's entropy-coded data), or the end of the data.
    static func nextMarker(_ data: [UInt8], from start: Int) -> Int {
        var position = start
        while position + 1 < data.count && !(data[position] == 0xFF && data[position + 1] != 0x00 && data[position + 1] != 0xFF
                                              && !(0xD0...0xD7).contains(data[position + 1])) {
            position += 1
        }
        return position
    }

    /// Zigzag index → natural (row-major) index, with 16 extra entries of 63 so that a corrupt
    /// run past the block's end lands on the last coefficient, as in IJG's `jpeg_natural_order`.
    static let naturalOrder: [Int] = [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
        63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    ]
}

/// Canonical Huffman table with a 9-bit lookahead (T.81 Annex C and F.2.2.3). A class so that
/// picking a scan component's table in the per-sample loop costs one reference, not four arrays.
final class JPEGHuffmanTable: Sendable {
    static let lookaheadBits = 9
    let lookahead: [UInt16]   // (length << 8) | symbol, 0 = longer code
    let maxCode: [Int]
    let valueOffset: [Int]
    let symbols: [UInt8]

    init(counts: [Int], symbols: [UInt8]) {
        var lookahead = [UInt16](repeating: 0, count: 1 << JPEGHuffmanTable.lookaheadBits)
        var maxCode = [Int](repeating: -1, count: 18)
        var valueOffset = [Int](repeating: 0, count: 17)
        var code = 0, index = 0
        for length in 1...16 {
            valueOffset[length] = index - code
            for _ in 0..<counts[length - 1] {
                // A corrupt table can overfill the code space: such codes are never looked up.
                if length <= JPEGHuffmanTable.lookaheadBits && code < 1 << length {
                    let shift = JPEGHuffmanTable.lookaheadBits - length
                    for fill in 0..<(1 << shift) {
                        lookahead[(code << shift) | fill] = UInt16(length << 8) | UInt16(symbols[index])
                    }
                }
                code += 1
                index += 1
            }
            maxCode[length] = code - 1
            code <<= 1
        }
        maxCode[17] = Int.max
        self.lookahead = lookahead
        self.maxCode = maxCode
        self.valueOffset = valueOffset
        self.symbols = symbols
    }
}

/// Reads entropy-coded bits, removing stuffed zero bytes and stopping at markers.
struct JPEGBitReader {
    let data: [UInt8]
    var position: Int
    var buffer: UInt64 = 0
    var count = 0
    var hitMarker = false
    /// Zero bits appended after the data ran out (at a marker or the end).
    var paddingBits = 0

    /// True once more bits were consumed than the data held.
    var overran: Bool { paddingBits > count }

    init(data: [UInt8], position: Int) {
        self.data = data
        self.position = position
    }

    @inline(__always)
    mutating func fill() {
        while count <= 56 {
            var byte: UInt64 = 0
            var real = false
            if !hitMarker && position < data.count {
                let value = data[position]
                if value != 0xFF {
                    byte = UInt64(value)
                    position += 1
                    real = true
                } else if position + 1 < data.count && data[position + 1] == 0x00 {
                    byte = 0xFF
                    position += 2
                    real = true
                } else {
                    hitMarker = true   // leave `position` at the marker
                }
            }
            if !real { paddingBits += 8 }
            buffer |= byte << UInt64(56 - count)
            count += 8
        }
    }

    @inline(__always)
    mutating func peek(_ bits: Int) -> Int {
        if count < bits { fill() }
        return Int(buffer >> UInt64(64 - bits))
    }

    @inline(__always)
    mutating func skip(_ bits: Int) {
        buffer <<= UInt64(bits)
        count -= bits
    }

    @inline(__always)
    mutating func read(_ bits: Int) -> Int {
        guard bits > 0 else { return 0 }
        let value = peek(bits)
        skip(bits)
        return value
    }

    /// Decodes one Huffman-coded symbol (T.81 F.2.2.3), through the lookahead table when the
    /// code is short. Throws for a code that is not in the table.
    @inline(__always)
    mutating func decodeSymbol(_ table: JPEGHuffmanTable) throws -> Int {
        let entry = table.lookahead[peek(JPEGHuffmanTable.lookaheadBits)]
        if entry != 0 {
            skip(Int(entry >> 8))
            return Int(entry & 0xFF)
        }
        var length = JPEGHuffmanTable.lookaheadBits + 1
        var code = peek(length)
        while length <= 16 && code > table.maxCode[length] {
            length += 1
            code = peek(length)
        }
        guard length <= 16 else { throw JPEGDecodingFailure(reason: "invalid Huffman code at byte \(position)") }
        skip(length)
        let index = table.valueOffset[length] + code
        guard index >= 0 && index < table.symbols.count else { throw JPEGDecodingFailure(reason: "invalid Huffman code at byte \(position)") }
        return Int(table.symbols[index])
    }

    /// Reads `category` magnitude bits and sign-extends them (T.81 F.2.2.1, EXTEND).
    @inline(__always)
    mutating func receiveExtended(_ category: Int) -> Int {
        guard category > 0 else { return 0 }
        let value = read(category)
        return value < 1 << (category - 1) ? value - (1 << category) + 1 : value
    }

    /// Discards buffered bits and steps over the restart marker RSTn that must follow.
    mutating func restart() throws {
        buffer = 0
        count = 0
        paddingBits = 0
        hitMarker = false
        guard position + 1 < data.count, data[position] == 0xFF, (0xD0...0xD7).contains(data[position + 1]) else {
            throw JPEGDecodingFailure(reason: "expected a restart marker at byte \(position)")
        }
        position += 2
    }
}

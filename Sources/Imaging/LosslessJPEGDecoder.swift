/// JPEG lossless (ITU-T T.81 Process 14: SOF3, Huffman coding, predictors 1–7, point
/// transform, restart intervals, 2–16 bits), as DICOM's 1.2.840.10008.1.2.4.57 and .70 hold
/// it. Written in Swift because no Debian library has a C API that decodes it: libjpeg-turbo
/// gained lossless support only in version 3, and dcmtk's / GDCM's decoders are C++ only.
/// Checked against files made by dcmtk's `dcmcjpeg +el` / `+e1` (Tests/ImagingTests).
struct LosslessJPEGDecoder {
    struct Failure: Error { let reason: String }

    struct Component {
        var identifier: Int
        var huffmanTable = 0
    }

    /// The decoded samples, interleaved `components` per pixel, each < 2^precision.
    struct Image {
        var width: Int
        var height: Int
        var components: Int
        var precision: Int
        var samples: [UInt32]
    }

    /// Canonical Huffman table with a 9-bit lookahead (T.81 Annex C and F.2.2.3).
    struct HuffmanTable {
        static let lookaheadBits = 9
        var lookahead = [UInt16](repeating: 0, count: 1 << lookaheadBits)  // (length << 8) | symbol, 0 = longer code
        var maxCode = [Int](repeating: -1, count: 18)
        var valueOffset = [Int](repeating: 0, count: 17)
        var symbols: [UInt8] = []

        init(counts: [Int], symbols: [UInt8]) {
            self.symbols = symbols
            var code = 0, index = 0
            for length in 1...16 {
                valueOffset[length] = index - code
                for _ in 0..<counts[length - 1] {
                    if length <= HuffmanTable.lookaheadBits {
                        let shift = HuffmanTable.lookaheadBits - length
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
        }
    }

    /// Reads entropy-coded bits, removing stuffed zero bytes and stopping at markers.
    struct BitReader {
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

        /// Discards buffered bits and steps over the restart marker RSTn that must follow.
        mutating func restart() throws {
            buffer = 0
            count = 0
            paddingBits = 0
            hitMarker = false
            guard position + 1 < data.count, data[position] == 0xFF, (0xD0...0xD7).contains(data[position + 1]) else {
                throw Failure(reason: "expected a restart marker at byte \(position)")
            }
            position += 2
        }
    }

    static func decode(_ data: [UInt8]) throws -> Image {
        guard data.count >= 4, data[0] == 0xFF, data[1] == 0xD8 else { throw Failure(reason: "no JPEG SOI marker") }
        var tables = [HuffmanTable?](repeating: nil, count: 4)
        var components: [Component] = []
        var width = 0, height = 0, precision = 0
        var restartInterval = 0
        var samples: [UInt32] = []
        var position = 2
        var decodedScan = false
        func uint16(_ at: Int) throws -> Int {
            guard at + 1 < data.count else { throw Failure(reason: "stream is truncated at byte \(at)") }
            return Int(data[at]) << 8 | Int(data[at + 1])
        }
        while position + 1 < data.count {
            guard data[position] == 0xFF else { throw Failure(reason: "expected a marker at byte \(position)") }
            let marker = Int(data[position + 1])
            position += 2
            if marker == 0xFF { position -= 1; continue }
            if marker == 0xD9 { break }                                 // EOI
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) { continue }
            let length = try uint16(position)
            let segmentEnd = position + length
            guard length >= 2, segmentEnd <= data.count else { throw Failure(reason: "marker segment at byte \(position - 2) is truncated") }
            switch marker {
            case 0xC3:                                                    // SOF3
                precision = Int(data[position + 2])
                height = try uint16(position + 3)
                width = try uint16(position + 5)
                let count = Int(data[position + 7])
                guard (2...16).contains(precision), width > 0, height > 0, (1...4).contains(count),
                      length >= 8 + 3 * count else {
                    throw Failure(reason: "invalid SOF3 (precision \(precision), \(width)x\(height), \(count) components)")
                }
                // Every sample costs at least one bit of Huffman code: refuse sizes the data cannot hold.
                guard width * height * count <= 8 * data.count else {
                    throw Failure(reason: "\(data.count) bytes cannot hold a \(width)x\(height) lossless image (corrupt or truncated)")
                }
                components = (0..<count).map { Component(identifier: Int(data[position + 8 + 3 * $0])) }
                samples = [UInt32](repeating: 0, count: width * height * count)
            case 0xC0, 0xC1, 0xC2, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF:
                throw Failure(reason: "SOF\(marker - 0xC0) is not a lossless Huffman frame (SOF3)")
            case 0xC4:                                                    // DHT
                var at = position + 2
                while at < segmentEnd {
                    let classAndIndex = Int(data[at])
                    let index = classAndIndex & 0x0F
                    guard index < 4, at + 17 <= segmentEnd else { throw Failure(reason: "invalid Huffman table") }
                    let counts = (0..<16).map { Int(data[at + 1 + $0]) }
                    let total = counts.reduce(0, +)
                    guard at + 17 + total <= segmentEnd else { throw Failure(reason: "Huffman table is truncated") }
                    tables[index] = HuffmanTable(counts: counts, symbols: Array(data[(at + 17)..<(at + 17 + total)]))
                    at += 17 + total
                }
            case 0xDD:                                                    // DRI
                restartInterval = try uint16(position + 2)
            case 0xDA:                                                    // SOS
                guard !components.isEmpty else { throw Failure(reason: "scan before the frame header") }
                let count = Int(data[position + 2])
                guard (1...components.count).contains(count), length >= 6 + 2 * count else {
                    throw Failure(reason: "invalid scan header")
                }
                var scanComponents: [Int] = []
                for k in 0..<count {
                    let identifier = Int(data[position + 3 + 2 * k])
                    guard let index = components.firstIndex(where: { $0.identifier == identifier }) else {
                        throw Failure(reason: "scan names unknown component \(identifier)")
                    }
                    components[index].huffmanTable = Int(data[position + 4 + 2 * k]) >> 4
                    guard components[index].huffmanTable < 4, tables[components[index].huffmanTable] != nil else {
                        throw Failure(reason: "scan uses an undefined Huffman table")
                    }
                    scanComponents.append(index)
                }
                let predictor = Int(data[position + 3 + 2 * count])
                let pointTransform = Int(data[position + 5 + 2 * count]) & 0x0F
                guard (1...7).contains(predictor) else {
                    throw Failure(reason: "predictor \(predictor) is not a lossless selection value (1–7)")
                }
                position = segmentEnd
                position = try decodeScan(data, from: position, width: width, height: height, precision: precision,
                                          totalComponents: components.count, scanComponents: scanComponents,
                                          tables: scanComponents.map { tables[components[$0].huffmanTable]! },
                                          predictor: predictor, pointTransform: pointTransform,
                                          restartInterval: restartInterval, samples: &samples)
                decodedScan = true
                continue
            default:
                break                                                     // APPn, COM, DNL…: skipped
            }
            position = segmentEnd
        }
        guard decodedScan else { throw Failure(reason: "the stream has no lossless frame and scan") }
        return Image(width: width, height: height, components: components.count, precision: precision, samples: samples)
    }

    /// Decodes one scan (T.81 H.1.2: prediction, Huffman-coded differences modulo 2^16) into
    /// `samples`; returns the position of the marker after the entropy-coded data.
    static func decodeScan(_ data: [UInt8], from start: Int, width: Int, height: Int, precision: Int,
                           totalComponents: Int, scanComponents: [Int], tables: [HuffmanTable],
                           predictor: Int, pointTransform: Int, restartInterval: Int,
                           samples: inout [UInt32]) throws -> Int {
        var reader = BitReader(data: data, position: start)
        let initial = 1 << (precision - pointTransform - 1)
        let scanCount = scanComponents.count
        var previousRow = [Int](repeating: 0, count: width * scanCount)
        var currentRow = [Int](repeating: 0, count: width * scanCount)
        var mcusLeft = restartInterval
        var firstRowOfInterval = true   // the first line after a reset uses the "first line" predictors
        var firstSampleOfInterval = true
        let lookaheadBits = HuffmanTable.lookaheadBits

        for y in 0..<height {
            for x in 0..<width {
                if restartInterval > 0 {
                    if mcusLeft == 0 {
                        try reader.restart()
                        mcusLeft = restartInterval
                        firstRowOfInterval = true
                        firstSampleOfInterval = true
                    }
                    mcusLeft -= 1
                }
                for (k, table) in tables.enumerated() {
                    // Huffman-decode the magnitude category.
                    var category: Int
                    let peeked = reader.peek(lookaheadBits)
                    let entry = table.lookahead[peeked]
                    if entry != 0 {
                        reader.skip(Int(entry >> 8))
                        category = Int(entry & 0xFF)
                    } else {
                        var length = lookaheadBits + 1
                        var code = reader.peek(length)
                        while length <= 16 && code > table.maxCode[length] {
                            length += 1
                            code = reader.peek(length)
                        }
                        guard length <= 16 else { throw Failure(reason: "invalid Huffman code in row \(y)") }
                        reader.skip(length)
                        let index = table.valueOffset[length] + code
                        guard index >= 0 && index < table.symbols.count else { throw Failure(reason: "invalid Huffman code in row \(y)") }
                        category = Int(table.symbols[index])
                    }
                    var difference: Int
                    if category == 0 {
                        difference = 0
                    } else if category == 16 {
                        difference = 32768
                    } else {
                        guard category < 16 else { throw Failure(reason: "invalid difference category \(category)") }
                        difference = reader.read(category)
                        if difference < 1 << (category - 1) { difference -= (1 << category) - 1 }
                    }
                    let i = x * scanCount + k
                    let prediction: Int
                    if firstSampleOfInterval {
                        prediction = initial
                    } else if firstRowOfInterval {
                        prediction = x == 0 ? previousRow[i] : currentRow[i - scanCount]
                    } else if x == 0 {
                        prediction = previousRow[i]
                    } else {
                        let a = currentRow[i - scanCount], b = previousRow[i], c = previousRow[i - scanCount]
                        switch predictor {
                        case 1: prediction = a
                        case 2: prediction = b
                        case 3: prediction = c
                        case 4: prediction = a + b - c
                        case 5: prediction = a + ((b - c) >> 1)
                        case 6: prediction = b + ((a - c) >> 1)
                        default: prediction = (a + b) >> 1
                        }
                    }
                    currentRow[i] = (prediction + difference) & 0xFFFF
                }
                firstSampleOfInterval = false
            }
            if reader.overran {
                throw Failure(reason: "entropy-coded data ends early, in row \(y + 1) of \(height) (truncated)")
            }
            for x in 0..<width {
                for k in 0..<scanCount {
                    samples[(y * width + x) * totalComponents + scanComponents[k]] =
                        UInt32(truncatingIfNeeded: currentRow[x * scanCount + k] << pointTransform)
                }
            }
            swap(&previousRow, &currentRow)
            // A restart that falls at a row end resets the predictors for the next row; one in
            // mid-row keeps "first line" prediction until the row it started is complete.
            firstRowOfInterval = false
        }
        // Move past the remaining bits to the next marker.
        var position = reader.position
        while position + 1 < data.count && !(data[position] == 0xFF && data[position + 1] != 0x00 && !(0xD0...0xD7).contains(data[position + 1])) {
            position += 1
        }
        return position
    }
}

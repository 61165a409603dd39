/// Sequential-DCT JPEG with Huffman coding (ITU-T T.81 Process 1, SOF0, and Process 4, SOF1)
/// with 8- or 12-bit samples, as DICOM's 1.2.840.10008.1.2.4.51 holds 12-bit images.
/// Written in Swift because no Debian library with a C API decodes 12-bit JPEG: libjpeg-turbo
/// 2.1 decodes 8-bit only (12-bit arrived in 3.0), dcmtk's 12-bit IJG build (libijg12) ships no
/// headers and GDCM's is C++. DICOM's 8-bit JPEG still goes through libjpeg-turbo; the tests
/// decode 8-bit files here too and require libjpeg-turbo's exact output (same IDCT).
///
/// Decodes the first component (the luma of YCbCr, the only one of monochrome images) at full
/// resolution; the other components' blocks are read to stay in step and discarded. Restart
/// intervals, DHT/DQT with 8- and 16-bit quantization tables, several scans are handled;
/// progressive and arithmetic-coded frames are refused by name.
enum SequentialJPEGDecoder {
    typealias Failure = JPEGDecodingFailure

    /// Decodes `data` to the first component's samples (`components` 1, each < 2^precision).
    /// Throws `Failure` for other processes, a first component that is subsampled, and
    /// malformed, truncated or corrupt streams (never traps), and a frame over `limits.maximumPixels`.
    static func decode(_ data: [UInt8], limits: ImagingLimits = .standard) throws -> JPEGDecodedImage {
        var frame: JPEGFrameHeader? = nil
        var plane: [UInt16] = []          // component 0, padded to whole MCUs
        var planeWidth = 0
        var decodedFirstComponent = false
        try JPEGStream.walk(data, frame: { header in
            guard header.marker == 0xC0 || header.marker == 0xC1 else {
                let process = [0xC2: "progressive", 0xC3: "lossless", 0xC5: "differential", 0xC6: "differential",
                               0xC7: "differential"][header.marker] ?? "arithmetic-coded"
                throw Failure(reason: "SOF\(header.marker - 0xC0) (\(process)) is not a sequential Huffman frame (SOF0/SOF1)")
            }
            guard header.precision == 8 || (header.precision == 12 && header.marker == 0xC1) else {
                throw Failure(reason: "SOF\(header.marker - 0xC0) with \(header.precision)-bit samples (sequential DCT JPEG has 8 or, extended, 12)")
            }
            guard header.width > 0, header.height > 0, (1...4).contains(header.components.count),
                  header.components.allSatisfy({ (1...4).contains($0.horizontalSampling) && (1...4).contains($0.verticalSampling)
                                                 && $0.quantizationTable < 4 }) else {
                throw Failure(reason: "invalid SOF\(header.marker - 0xC0) (\(header.width)x\(header.height), \(header.components.count) components)")
            }
            let first = header.components[0]
            guard first.horizontalSampling == header.components.map(\.horizontalSampling).max(),
                  first.verticalSampling == header.components.map(\.verticalSampling).max() else {
                throw Failure(reason: "the first component is subsampled; only full-resolution first components are decoded")
            }
            guard header.width * header.height <= limits.maximumPixels else {
                throw Failure(reason: "a \(header.width)x\(header.height) image is over the limit of \(limits.maximumPixels) pixels (ImagingLimits.maximumPixels)")
            }
            let layout = Layout(header)
            // Every block costs at least two bits (a DC and an end-of-block code): refuse sizes
            // the data cannot hold before allocating for them.
            guard layout.mcusAcross * layout.mcusDown * first.horizontalSampling * first.verticalSampling <= 4 * data.count else {
                throw Failure(reason: "\(data.count) bytes cannot hold a \(header.width)x\(header.height) JPEG image (corrupt or truncated)")
            }
            planeWidth = layout.mcusAcross * first.horizontalSampling * 8
            plane = [UInt16](repeating: 0, count: planeWidth * layout.mcusDown * first.verticalSampling * 8)
            frame = header
        }, scan: { header, scan, tables, start in
            if scan.componentIndices.contains(0) { decodedFirstComponent = true }
            return try decodeScan(data, from: start, frame: header, scan: scan, tables: tables,
                                  plane: &plane, planeWidth: planeWidth)
        })
        guard let frame, decodedFirstComponent else { throw Failure(reason: "no scan holds the first component") }
        var samples = [UInt32](repeating: 0, count: frame.width * frame.height)
        for y in 0..<frame.height {
            for x in 0..<frame.width { samples[y * frame.width + x] = UInt32(plane[y * planeWidth + x]) }
        }
        return JPEGDecodedImage(width: frame.width, height: frame.height, components: 1, precision: frame.precision, samples: samples)
    }

    /// MCU grid of a frame (T.81 A.2): interleaved scans cover whole MCUs of Hmax × Vmax blocks.
    struct Layout {
        var maxHorizontal: Int
        var maxVertical: Int
        var mcusAcross: Int
        var mcusDown: Int

        init(_ frame: JPEGFrameHeader) {
            maxHorizontal = frame.components.map(\.horizontalSampling).max() ?? 1
            maxVertical = frame.components.map(\.verticalSampling).max() ?? 1
            mcusAcross = (frame.width + 8 * maxHorizontal - 1) / (8 * maxHorizontal)
            mcusDown = (frame.height + 8 * maxVertical - 1) / (8 * maxVertical)
        }

        /// Blocks across and down of one component in a non-interleaved scan (T.81 A.2.2):
        /// its own size rounded up to blocks, not to MCUs.
        func blocks(of component: JPEGFrameHeader.Component, _ frame: JPEGFrameHeader) -> (across: Int, down: Int) {
            let width = (frame.width * component.horizontalSampling + maxHorizontal - 1) / maxHorizontal
            let height = (frame.height * component.verticalSampling + maxVertical - 1) / maxVertical
            return ((width + 7) / 8, (height + 7) / 8)
        }
    }

    /// Decodes one scan's entropy-coded data (T.81 F.2.2: DC differences, AC run/size codes),
    /// inverse-transforms the first component's blocks into `plane`, and returns the position
    /// of the marker after the data.
    static func decodeScan(_ data: [UInt8], from start: Int, frame: JPEGFrameHeader, scan: JPEGScanHeader,
                           tables: JPEGTables, plane: inout [UInt16], planeWidth: Int) throws -> Int {
        let layout = Layout(frame)
        var dcTables: [JPEGHuffmanTable] = [], acTables: [JPEGHuffmanTable] = []
        for k in scan.componentIndices.indices {
            guard scan.dcTables[k] < 4, let dc = tables.dc[scan.dcTables[k]],
                  scan.acTables[k] < 4, let ac = tables.ac[scan.acTables[k]] else {
                throw Failure(reason: "scan uses an undefined Huffman table")
            }
            dcTables.append(dc)
            acTables.append(ac)
        }
        var inverse: InverseDCT? = nil
        if scan.componentIndices.contains(0) {
            guard let table = tables.quantization[frame.components[0].quantizationTable] else {
                throw Failure(reason: "the first component's quantization table \(frame.components[0].quantizationTable) is not defined")
            }
            inverse = InverseDCT(quantization: table, precision: frame.precision)
        }
        var reader = JPEGBitReader(data: data, position: start)
        var predictions = [Int](repeating: 0, count: scan.componentIndices.count)
        var coefficients = [Int32](repeating: 0, count: 64)
        var mcusLeft = tables.restartInterval
        let interval = tables.restartInterval
        // Pointers held for the whole scan: the block loop is the decoder's hot path.
        try plane.withUnsafeMutableBufferPointer { output in
            try coefficients.withUnsafeMutableBufferPointer { block in
                try JPEGStream.naturalOrder.withUnsafeBufferPointer { order in
                    if scan.componentIndices.count == 1 {
                        let index = scan.componentIndices[0]
                        let blocks = layout.blocks(of: frame.components[index], frame)
                        let dc = dcTables[0], ac = acTables[0]
                        for row in 0..<blocks.down {
                            for column in 0..<blocks.across {
                                try startMCU(&reader, mcusLeft: &mcusLeft, interval: interval, predictions: &predictions)
                                try decodeBlock(&reader, dc: dc, ac: ac, prediction: &predictions[0], into: block, order: order)
                                if index == 0, let inverse {
                                    inverse.transform(UnsafeBufferPointer(block), into: output.baseAddress! + (row * planeWidth + column) * 8,
                                                      stride: planeWidth)
                                }
                            }
                            if reader.overran { throw Failure(reason: "entropy-coded data ends early, in block row \(row + 1) of \(blocks.down) (truncated)") }
                        }
                    } else {
                        for mcuRow in 0..<layout.mcusDown {
                            for mcuColumn in 0..<layout.mcusAcross {
                                try startMCU(&reader, mcusLeft: &mcusLeft, interval: interval, predictions: &predictions)
                                for (k, index) in scan.componentIndices.enumerated() {
                                    let component = frame.components[index]
                                    let dc = dcTables[k], ac = acTables[k]
                                    for v in 0..<component.verticalSampling {
                                        for h in 0..<component.horizontalSampling {
                                            try decodeBlock(&reader, dc: dc, ac: ac, prediction: &predictions[k], into: block, order: order)
                                            if index == 0, let inverse {
                                                let origin = ((mcuRow * component.verticalSampling + v) * planeWidth
                                                              + mcuColumn * component.horizontalSampling + h) * 8
                                                inverse.transform(UnsafeBufferPointer(block), into: output.baseAddress! + origin, stride: planeWidth)
                                            }
                                        }
                                    }
                                }
                            }
                            if reader.overran { throw Failure(reason: "entropy-coded data ends early, in MCU row \(mcuRow + 1) of \(layout.mcusDown) (truncated)") }
                        }
                    }
                }
            }
        }
        return JPEGStream.nextMarker(data, from: reader.position)
    }

    /// Counts MCUs and steps over RSTn (resetting the DC predictions) between restart intervals.
    @inline(__always)
    static func startMCU(_ reader: inout JPEGBitReader, mcusLeft: inout Int, interval: Int, predictions: inout [Int]) throws {
        guard interval > 0 else { return }
        if mcusLeft == 0 {
            try reader.restart()
            mcusLeft = interval
            for k in predictions.indices { predictions[k] = 0 }
        }
        mcusLeft -= 1
    }

    /// One block (T.81 F.2.2): the DC difference added to `prediction`, then AC coefficients in
    /// zigzag order until end-of-block, into `block` (natural order; `order` maps zigzag to it).
    @inline(__always)
    static func decodeBlock(_ reader: inout JPEGBitReader, dc: JPEGHuffmanTable, ac: JPEGHuffmanTable, prediction: inout Int,
                            into block: UnsafeMutableBufferPointer<Int32>, order: UnsafeBufferPointer<Int>) throws {
        block.update(repeating: 0)
        let category = try reader.decodeSymbol(dc)
        guard category <= 15 else { throw Failure(reason: "invalid DC difference category \(category)") }
        prediction += reader.receiveExtended(category)
        block[0] = Int32(Int16(truncatingIfNeeded: prediction))   // IJG keeps coefficients in 16 bits
        var index = 1
        while index < 64 {
            let runAndSize = try reader.decodeSymbol(ac)
            let run = runAndSize >> 4, size = runAndSize & 0x0F
            if size == 0 {
                if run != 15 { break }                                            // end of block
                index += 16                                                       // sixteen zeros
            } else {
                index += run
                block[order[index]] = Int32(Int16(truncatingIfNeeded: reader.receiveExtended(size)))
                index += 1
            }
        }
    }
}

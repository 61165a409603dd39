/// JPEG lossless (ITU-T T.81 Process 14: SOF3, Huffman coding, predictors 1–7, point
/// transform, restart intervals, 2–16 bits), as DICOM's 1.2.840.10008.1.2.4.57 and .70 hold
/// it. Written in Swift because no Debian library has a C API that decodes it: libjpeg-turbo
/// gained lossless support only in version 3, and dcmtk's / GDCM's decoders are C++ only.
/// Checked against files made by dcmtk's `dcmcjpeg +el` / `+e1` (Tests/ImagingTests).
struct LosslessJPEGDecoder {
    typealias Failure = JPEGDecodingFailure
    typealias Image = JPEGDecodedImage

    /// Decodes a lossless JPEG stream (all its scans) to samples. Throws `Failure` for other
    /// processes, malformed or truncated streams, and a frame over `limits.maximumPixels`.
    static func decode(_ data: [UInt8], limits: ImagingLimits = .standard) throws -> Image {
        var image = Image(width: 0, height: 0, components: 0, precision: 0, samples: [])
        try JPEGStream.walk(data, frame: { header in
            guard header.marker == 0xC3 else {
                throw Failure(reason: "SOF\(header.marker - 0xC0) is not a lossless Huffman frame (SOF3)")
            }
            let count = header.components.count
            guard (2...16).contains(header.precision), header.width > 0, header.height > 0, (1...4).contains(count) else {
                throw Failure(reason: "invalid SOF3 (precision \(header.precision), \(header.width)x\(header.height), \(count) components)")
            }
            guard header.width * header.height <= limits.maximumPixels else {
                throw Failure(reason: "a \(header.width)x\(header.height) image is over the limit of \(limits.maximumPixels) pixels (ImagingLimits.maximumPixels)")
            }
            // Every sample costs at least one bit of Huffman code: refuse sizes the data cannot hold.
            guard header.width * header.height * count <= 8 * data.count else {
                throw Failure(reason: "\(data.count) bytes cannot hold a \(header.width)x\(header.height) lossless image (corrupt or truncated)")
            }
            image = Image(width: header.width, height: header.height, components: count, precision: header.precision,
                          samples: [UInt32](repeating: 0, count: header.width * header.height * count))
        }, scan: { header, scan, tables, start in
            guard (1...7).contains(scan.spectralStart) else {
                throw Failure(reason: "predictor \(scan.spectralStart) is not a lossless selection value (1–7)")
            }
            let huffman = try scan.dcTables.map { index -> JPEGHuffmanTable in
                guard index < 4, let table = tables.dc[index] else { throw Failure(reason: "scan uses an undefined Huffman table") }
                return table
            }
            return try decodeScan(data, from: start, width: image.width, height: image.height, precision: image.precision,
                                  totalComponents: image.components, scanComponents: scan.componentIndices,
                                  tables: huffman, predictor: scan.spectralStart, pointTransform: scan.approximationLow,
                                  restartInterval: tables.restartInterval, samples: &image.samples)
        })
        return image
    }

    /// Decodes one scan (T.81 H.1.2: prediction, Huffman-coded differences modulo 2^16) into
    /// `samples`; returns the position of the marker after the entropy-coded data.
    static func decodeScan(_ data: [UInt8], from start: Int, width: Int, height: Int, precision: Int,
                           totalComponents: Int, scanComponents: [Int], tables: [JPEGHuffmanTable],
                           predictor: Int, pointTransform: Int, restartInterval: Int,
                           samples: inout [UInt32]) throws -> Int {
        var reader = JPEGBitReader(data: data, position: start)
        let initial = 1 << (precision - pointTransform - 1)
        let scanCount = scanComponents.count
        var previousRow = [Int](repeating: 0, count: width * scanCount)
        var currentRow = [Int](repeating: 0, count: width * scanCount)
        var mcusLeft = restartInterval
        var firstRowOfInterval = true   // the first line after a reset uses the "first line" predictors
        var firstSampleOfInterval = true

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
                for k in 0..<scanCount {
                    let category = try reader.decodeSymbol(tables[k])
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
        return JPEGStream.nextMarker(data, from: reader.position)
    }
}

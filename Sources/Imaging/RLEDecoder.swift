/// DICOM RLE Lossless (PS3.5 Annex G), written in Swift: it is a PackBits variant that no
/// Debian C library exposes. A frame holds a 64-byte header (segment count, then up to 15
/// segment offsets) and one segment per byte plane: for each sample, most significant byte
/// first.
enum RLEDecoder {
    static func decode(_ frame: [UInt8], metadata m: DICOMMetadata, name: String) throws -> DICOMFrameSamples {
        func failure(_ reason: String) -> ImagingError {
            ImagingError(file: name, reason: "DICOM: RLE Lossless frame: \(reason)")
        }
        guard frame.count >= 64 else { throw failure("the frame is \(frame.count) bytes, shorter than its 64-byte header") }
        func word(_ i: Int) -> Int {
            Int(UInt32(frame[i]) | UInt32(frame[i + 1]) << 8 | UInt32(frame[i + 2]) << 16 | UInt32(frame[i + 3]) << 24)
        }
        let bytesPerSample = (m.bitsAllocated + 7) / 8
        let segmentCount = word(0)
        let expected = bytesPerSample * m.samplesPerPixel
        guard segmentCount == expected else {
            throw failure("header lists \(segmentCount) segments, \(expected) expected for \(m.samplesPerPixel) samples of \(m.bitsAllocated) bits")
        }
        let pixelCount = m.rows * m.columns
        // A PackBits run of 2 bytes yields at most 128: a larger image cannot come from this frame.
        guard pixelCount * segmentCount <= 64 * frame.count else {
            throw failure("\(frame.count) bytes cannot hold a \(m.columns)x\(m.rows) image (corrupt header or truncated data)")
        }
        var samples = [UInt32](repeating: 0, count: pixelCount * m.samplesPerPixel)
        var plane = [UInt8](repeating: 0, count: pixelCount)
        for segment in 0..<segmentCount {
            let start = word(4 + 4 * segment)
            let end = segment + 1 < segmentCount ? word(8 + 4 * segment) : frame.count
            guard start >= 64 && start <= end && end <= frame.count else {
                throw failure("segment \(segment + 1) offsets \(start)..<\(end) lie outside the \(frame.count)-byte frame")
            }
            try unpack(frame, from: start, to: end, into: &plane, failure: failure)
            // Segment order: sample 0's most significant byte, …, sample 0's least, sample 1's …
            let sample = segment / bytesPerSample
            let shift = UInt32(8 * (bytesPerSample - 1 - segment % bytesPerSample))
            let channels = m.samplesPerPixel
            for i in 0..<pixelCount { samples[i * channels + sample] |= UInt32(plane[i]) << shift }
        }
        return DICOMFrameSamples(channels: m.samplesPerPixel, samples: samples)
    }

    /// PackBits: n in 0...127 copies n + 1 literal bytes, n in −127...−1 repeats the next byte
    /// 1 − n times, −128 is a no-op. Fills exactly `plane.count` bytes or throws.
    static func unpack(_ data: [UInt8], from start: Int, to end: Int, into plane: inout [UInt8],
                       failure: (String) -> ImagingError) throws {
        var input = start, output = 0
        let length = plane.count
        while output < length {
            guard input < end else { throw failure("a segment ends after \(output) of \(length) bytes (truncated)") }
            let control = Int(Int8(bitPattern: data[input]))
            input += 1
            if control >= 0 {
                let run = control + 1
                guard input + run <= end, output + run <= length else { throw failure("a literal run overflows the segment (corrupt)") }
                for k in 0..<run { plane[output + k] = data[input + k] }
                input += run
                output += run
            } else if control != -128 {
                let run = 1 - control
                guard input < end, output + run <= length else { throw failure("a repeat run overflows the segment (corrupt)") }
                let value = data[input]
                input += 1
                for k in 0..<run { plane[output + k] = value }
                output += run
            }
        }
    }
}

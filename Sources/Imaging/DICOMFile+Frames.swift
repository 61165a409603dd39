import Foundation

extension DICOMFile {
    /// How many frames the pixel data holds: Number of Frames (0028,0008), 1 when absent; 0
    /// for a data set without Pixel Data (a report).
    public var frameCount: Int { pixelData == nil ? 0 : metadata.numberOfFrames }

    /// Frame `number` (1-based) as uncompressed pixel data in Explicit VR Little Endian, the
    /// bytes WADO-RS sends for a frame (PS3.18 8.7.3.3.2): rows × columns × Samples per Pixel
    /// samples of Bits Allocated / 8 bytes each, little endian, row-major. A native frame is
    /// its stored bytes (words byte-swapped from big endian; a planar colour frame stays
    /// planar, as its Planar Configuration says); an encapsulated one is decoded by its
    /// codec and written interleaved (Planar Configuration 0), each sample its stored bit
    /// pattern (a signed one in two's complement over Bits Allocated).
    ///
    /// - Throws: `ImagingError` naming the file when it has no Pixel Data or no frame
    ///   `number`, when the frame is truncated or corrupt, and when it cannot be given
    ///   uncompressed: Bits Allocated other than 8, 16 or 32, native YBR_FULL_422, or a
    ///   compressed colour frame that the codec decodes to gray only (JPEG baseline); and
    ///   when the frame is over `limits.maximumPixels`.
    public func nativeFrame(_ number: Int, limits: ImagingLimits = .standard) throws -> [UInt8] {
        guard let pixelData else { throw error("the file has no Pixel Data (7FE0,0010)") }
        guard number >= 1 && number <= frameCount else {
            throw error("there is no frame \(number): the image has \(frameCount) frame\(frameCount == 1 ? "" : "s")")
        }
        let m = metadata
        guard m.rows > 0 && m.columns > 0 && m.rows <= 0xFFFF && m.columns <= 0xFFFF else {
            throw error("image has \(m.rows) rows and \(m.columns) columns")
        }
        try limits.checkPixels(m.columns, m.rows, file: name, what: "DICOM")
        guard m.samplesPerPixel == 1 || m.samplesPerPixel == 3 else {
            throw error("\(m.samplesPerPixel) samples per pixel are not supported (1 or 3)")
        }
        guard [8, 16, 32].contains(m.bitsAllocated) else {
            throw error("pixel data with \(m.bitsAllocated) bits allocated is not supported (8, 16 or 32)")
        }
        let bytesPerSample = m.bitsAllocated / 8
        if pixelData.fragments == nil {
            guard m.photometricInterpretation != "YBR_FULL_422" else {
                throw error("native YBR_FULL_422 pixel data (two samples per pixel stored) is not supported")
            }
            let (start, count) = try nativeFrameRange(pixelData, index: number - 1)
            var frame = Array(bytes[start..<(start + count)])
            if !littleEndian && bytesPerSample > 1 {
                for word in stride(from: 0, to: count, by: bytesPerSample) { frame[word..<(word + bytesPerSample)].reverse() }
            }
            return frame
        }
        let decoded = try decodeFrame(pixelData, index: number - 1, limits: limits)
        guard decoded.channels == m.samplesPerPixel else {
            throw error("frame \(number) decodes to \(decoded.channels) sample\(decoded.channels == 1 ? "" : "s") per pixel, "
                + "the header says \(m.samplesPerPixel) (\(DICOMTransferSyntax.describe(m.transferSyntaxUID)) colour is decoded to gray only)")
        }
        let count = m.rows * m.columns * m.samplesPerPixel
        guard decoded.samples.count >= count else {
            throw error("frame \(number) decodes to \(decoded.samples.count) samples, \(count) expected")
        }
        var frame = [UInt8](repeating: 0, count: count * bytesPerSample)
        frame.withUnsafeMutableBufferPointer { frame in
            for i in 0..<count {
                let sample = decoded.samples[i]
                for byte in 0..<bytesPerSample { frame[i * bytesPerSample + byte] = UInt8(truncatingIfNeeded: sample >> UInt32(8 * byte)) }
            }
        }
        return frame
    }
}

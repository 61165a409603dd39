import Foundation

/// One decoded frame's samples before any rendering: `channels` interleaved samples per
/// pixel, each the raw `bits`-bit pattern as stored (masking and sign come after).
struct DICOMFrameSamples {
    var channels: Int
    var samples: [UInt32]
}

extension DICOMFile {
    /// Frame `frame`'s (1-based; the first by default) stored pixel values, row-major (`rows *
    /// columns`): masked to Bits Stored (shifted down when High Bit is not Bits Stored − 1),
    /// sign-extended when Pixel Representation is 1. Colour frames give their luma (see
    /// `SampleImage.grayscale()`). Throws `ImagingError` for unsupported transfer syntaxes
    /// (named) and layouts, a frame the file does not hold, truncated or corrupt pixel data,
    /// and a frame (as the header or its codestream declares it) over `limits.maximumPixels`.
    public func storedValues(frame: Int = 1, limits: ImagingLimits = .standard) throws -> [Int32] {
        let m = metadata
        guard m.rows > 0 && m.columns > 0 else { throw error("image has \(m.rows) rows and \(m.columns) columns") }
        // Rows and Columns are US (at most 65535); the pixel limit bounds every buffer below,
        // whatever the encapsulated stream's own header claims.
        guard m.rows <= 0xFFFF && m.columns <= 0xFFFF else {
            throw error("image has \(m.rows) rows and \(m.columns) columns, more than the 65535 an unsigned short holds")
        }
        try limits.checkPixels(m.columns, m.rows, file: name, what: "DICOM")
        guard m.bitsStored >= 1 && m.bitsStored <= m.bitsAllocated && m.highBit < m.bitsAllocated
              && m.highBit + 1 >= m.bitsStored else {
            throw error("inconsistent Bits Allocated \(m.bitsAllocated) / Bits Stored \(m.bitsStored) / High Bit \(m.highBit)")
        }
        guard m.samplesPerPixel == 1 || m.samplesPerPixel == 3 else {
            throw error("\(m.samplesPerPixel) samples per pixel are not supported (1 or 3)")
        }
        guard let pixelData else { throw error("the file has no Pixel Data (7FE0,0010)") }
        guard frame >= 1 && frame <= m.numberOfFrames else {
            throw error("there is no frame \(frame): the image has \(m.numberOfFrames) frame\(m.numberOfFrames == 1 ? "" : "s")")
        }
        let which = frame == 1 ? "the first frame" : "frame \(frame)"
        let decoded = try decodeFrame(pixelData, index: frame - 1, limits: limits)
        let count = m.rows * m.columns
        guard decoded.samples.count >= count * decoded.channels else {
            throw error("\(which) decodes to \(decoded.samples.count) samples, \(count * decoded.channels) expected")
        }
        if decoded.channels == 3 {
            guard m.bitsStored <= 8 else { throw error("colour images with \(m.bitsStored) bits stored are not supported") }
            let isYBR = m.photometricInterpretation.hasPrefix("YBR")
            return (0..<count).map { i in
                let r = decoded.samples[3 * i], g = decoded.samples[3 * i + 1], b = decoded.samples[3 * i + 2]
                if isYBR { return Int32(r & 0xFF) }   // Y is the luma already
                return Int32(((r & 0xFF) * 19595 + (g & 0xFF) * 38470 + (b & 0xFF) * 7471 + 0x8000) >> 16)
            }
        }
        let shift = UInt32(m.highBit + 1 - m.bitsStored)
        let mask: UInt32 = m.bitsStored >= 32 ? .max : (1 << UInt32(m.bitsStored)) - 1
        let signBit: UInt32 = 1 << UInt32(m.bitsStored - 1)
        let signed = m.pixelRepresentation == 1
        var values = [Int32](repeating: 0, count: count)
        decoded.samples.withUnsafeBufferPointer { samples in
            values.withUnsafeMutableBufferPointer { values in
                for i in 0..<count {
                    let v = (samples[i] >> shift) & mask
                    if signed && v & signBit != 0 {
                        values[i] = Int32(truncatingIfNeeded: v | ~mask)
                    } else {
                        values[i] = Int32(truncatingIfNeeded: v)
                    }
                }
            }
        }
        return values
    }

    /// Frame `frame` (1-based; the first by default) as an 8-bit gray image: Modality LUT
    /// (rescale slope and intercept), then the first VOI window (LINEAR, LINEAR_EXACT or
    /// SIGMOID as PS3.3 C.11.2.1.2 defines them) — or, without a window, the frame's minimum
    /// to maximum — then MONOCHROME1 inverted so that 0 is always black. Throws as
    /// `storedValues(frame:limits:)`.
    public func image(frame: Int = 1, limits: ImagingLimits = .standard) throws -> GrayscaleImage {
        let values = try storedValues(frame: frame, limits: limits)
        let m = metadata
        var pixels = [UInt8](repeating: 0, count: values.count)
        if m.samplesPerPixel == 3 {
            for i in 0..<values.count { pixels[i] = UInt8(clamping: values[i]) }
            return GrayscaleImage(width: m.columns, height: m.rows, pixels: pixels)
        }
        let window = DICOMWindow(metadata: m, values: values)
        values.withUnsafeBufferPointer { values in
            pixels.withUnsafeMutableBufferPointer { pixels in
                for i in 0..<values.count { pixels[i] = window.apply(values[i]) }
            }
        }
        return GrayscaleImage(width: m.columns, height: m.rows, pixels: pixels)
    }

    func decodeFirstFrame(_ element: DICOMElement, limits: ImagingLimits = .standard) throws -> DICOMFrameSamples {
        try decodeFrame(element, index: 0, limits: limits)
    }

    /// Frame `index` (0-based) of the pixel data as samples: native frames read in the data
    /// set's byte order (colour de-planarized), encapsulated ones decoded by their codec.
    /// Throws `ImagingError` for a frame past the data, an unsupported syntax or layout, and
    /// truncated or corrupt pixel data, and a codestream declaring more than `limits` allows.
    func decodeFrame(_ element: DICOMElement, index: Int, limits: ImagingLimits) throws -> DICOMFrameSamples {
        let m = metadata
        if let fragments = element.fragments {
            let frame = try frameFragments(element, fragments, index: index)
            return try decodeEncapsulated(frame, limits: limits)
        }
        let (start, _) = try nativeFrameRange(element, index: index)
        let bytesPerSample = m.bitsAllocated / 8
        let samplesPerFrame = m.rows * m.columns * m.samplesPerPixel
        var samples = [UInt32](repeating: 0, count: samplesPerFrame)
        bytes.withUnsafeBufferPointer { bytes in
            samples.withUnsafeMutableBufferPointer { samples in
                switch bytesPerSample {
                case 1:
                    for i in 0..<samplesPerFrame { samples[i] = UInt32(bytes[start + i]) }
                case 2:
                    for i in 0..<samplesPerFrame {
                        let a = UInt32(bytes[start + 2 * i]), b = UInt32(bytes[start + 2 * i + 1])
                        samples[i] = littleEndian ? a | b << 8 : a << 8 | b
                    }
                default:
                    for i in 0..<samplesPerFrame {
                        let o = start + 4 * i
                        let a = UInt32(bytes[o]), b = UInt32(bytes[o + 1]), c = UInt32(bytes[o + 2]), d = UInt32(bytes[o + 3])
                        samples[i] = littleEndian ? a | b << 8 | c << 16 | d << 24 : a << 24 | b << 16 | c << 8 | d
                    }
                }
            }
        }
        if m.samplesPerPixel == 3 && m.planarConfiguration == 1 {
            samples = DICOMFile.interleave(planes: samples, pixelCount: m.rows * m.columns)
        }
        return DICOMFrameSamples(channels: m.samplesPerPixel, samples: samples)
    }

    /// Where native frame `index` (0-based) lies in `bytes`, and its length. Throws for a
    /// syntax that needs encapsulated data, an unsupported Bits Allocated, or a Pixel Data
    /// value too short for the frame.
    func nativeFrameRange(_ element: DICOMElement, index: Int) throws -> (start: Int, count: Int) {
        let m = metadata
        let syntax = m.transferSyntaxUID
        guard [DICOMTransferSyntax.implicitLittleEndian, DICOMTransferSyntax.explicitLittleEndian,
               DICOMTransferSyntax.explicitBigEndian, DICOMTransferSyntax.deflatedExplicitLittleEndian].contains(syntax)
              || DICOMTransferSyntax.names[syntax] == nil else {
            throw error("transfer syntax \(DICOMTransferSyntax.describe(syntax)) needs encapsulated Pixel Data, found native")
        }
        guard [8, 16, 32].contains(m.bitsAllocated) else {
            throw error("native pixel data with \(m.bitsAllocated) bits allocated is not supported (8, 16 or 32)")
        }
        let frameBytes = m.rows * m.columns * m.samplesPerPixel * (m.bitsAllocated / 8)
        let value = element.value
        guard value.count >= (index + 1) * frameBytes else {
            let which = index == 0 ? "the first frame" : "frame \(index + 1)"
            throw error("Pixel Data holds \(value.count) bytes, \(which) needs \((index + 1) * frameBytes) (truncated file?)")
        }
        return (value.lowerBound + index * frameBytes, frameBytes)
    }

    /// Planar (RRR…GGG…BBB…) to interleaved (RGBRGB…).
    static func interleave(planes: [UInt32], pixelCount: Int) -> [UInt32] {
        var output = [UInt32](repeating: 0, count: planes.count)
        for i in 0..<pixelCount {
            output[3 * i] = planes[i]
            output[3 * i + 1] = planes[pixelCount + i]
            output[3 * i + 2] = planes[2 * pixelCount + i]
        }
        return output
    }

    func firstFrameFragments(_ element: DICOMElement, _ fragments: [Range<Int>]) throws -> [UInt8] {
        try frameFragments(element, fragments, index: 0)
    }

    /// The bytes of frame `index` (0-based) of encapsulated pixel data (PS3.5 A.4): from the
    /// Basic Offset Table when it has entries; else one fragment per frame when the counts
    /// agree; else all fragments for a single frame; else, for JPEG-family streams, fragments
    /// up to one that ends with an EOI marker (FFD9) make a frame. Throws for a frame the data
    /// does not hold.
    func frameFragments(_ element: DICOMElement, _ fragments: [Range<Int>], index: Int) throws -> [UInt8] {
        guard !fragments.isEmpty else { throw error("encapsulated Pixel Data has no fragments") }
        let frames = metadata.numberOfFrames
        let missing = error("encapsulated Pixel Data holds no frame \(index + 1) (\(fragments.count) fragments, \(frames) frames)")
        if let table = element.offsetTable, table.count >= 8, frames > 1 {
            // Offsets are measured from the first fragment's item tag.
            func offset(_ entry: Int) -> Int? {
                let at = table.lowerBound + 4 * entry
                guard at + 4 <= table.upperBound else { return nil }
                return Int(UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
            }
            guard let start = offset(index) else { throw missing }
            let end = offset(index + 1) ?? Int.max
            let base = fragments[0].lowerBound - 8
            var frame: [UInt8] = []
            for fragment in fragments where (start..<end).contains(fragment.lowerBound - 8 - base) {
                frame += bytes[fragment]
            }
            guard !frame.isEmpty else { throw missing }
            return frame
        }
        if frames == 1 || fragments.count == frames {
            guard index < frames else { throw missing }
            return frames == 1 ? fragments.flatMap { bytes[$0] } : Array(bytes[fragments[index]])
        }
        var frame: [UInt8] = []
        var current = 0
        for fragment in fragments {
            if current == index { frame += bytes[fragment] }
            var end = fragment.upperBound
            while end > fragment.lowerBound && bytes[end - 1] == 0 { end -= 1 }   // even-length padding
            if end - fragment.lowerBound >= 2 && bytes[end - 2] == 0xFF && bytes[end - 1] == 0xD9 {
                if current == index { return frame }
                current += 1
            }
        }
        guard !frame.isEmpty else { throw missing }
        return frame
    }
}

/// The Modality LUT and VOI window of a grayscale DICOM frame, mapping a stored value to 8 bits.
struct DICOMWindow {
    enum Function { case linear, linearExact, sigmoid, minimumMaximum }
    var slope: Double
    var intercept: Double
    var center: Double
    var width: Double
    var function: Function
    var invert: Bool

    init(metadata m: DICOMMetadata, values: [Int32]) {
        slope = m.rescaleSlope
        intercept = m.rescaleIntercept
        invert = m.photometricInterpretation == "MONOCHROME1"
        if let center = m.windowCenter, let width = m.windowWidth,
           width >= 1 || (width > 0 && m.voiLUTFunction != "LINEAR") {
            self.center = center
            self.width = width
            switch m.voiLUTFunction {
            case "LINEAR_EXACT": function = .linearExact
            case "SIGMOID": function = .sigmoid
            default: function = .linear
            }
        } else {
            var low = Int32.max, high = Int32.min
            for v in values { low = min(low, v); high = max(high, v) }
            let a = Double(low) * slope + intercept, b = Double(high) * slope + intercept
            center = (min(a, b) + max(a, b)) / 2
            width = max(a, b) - min(a, b)
            function = .minimumMaximum
        }
    }

    @inline(__always)
    func apply(_ stored: Int32) -> UInt8 {
        let x = Double(stored) * slope + intercept
        var y: Double   // in [0, 1]
        switch function {
        case .linear:
            if x <= center - 0.5 - (width - 1) / 2 { y = 0 }
            else if x > center - 0.5 + (width - 1) / 2 { y = 1 }
            else { y = (x - (center - 0.5)) / (width - 1) + 0.5 }
        case .linearExact:
            y = (x - center) / width + 0.5
        case .sigmoid:
            y = 1 / (1 + exp(-4 * (x - center) / width))
        case .minimumMaximum:
            y = width > 0 ? (x - (center - width / 2)) / width : 0
        }
        y = y.isNaN ? 0 : min(max(y, 0), 1)   // NaN from overflowing slopes renders black, never traps
        let value = UInt8((y * 255).rounded())
        return invert ? 255 - value : value
    }
}

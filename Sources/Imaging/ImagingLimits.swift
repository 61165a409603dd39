/// Ceilings the decoders check before they allocate, so that a small hostile file cannot make
/// them ask for gigabytes (a PNG or JPEG header declaring 65535×65535, a deflate bomb) or
/// recurse without end (DICOM sequences nested in sequences). Each decoder also checks what
/// it can against the bytes actually present; these are the backstop for what compresses well.
///
/// A value passed in: every decoding entry point takes `limits: ImagingLimits = .standard` and
/// hands it down to the decoders it calls, so a caller (a test, a service with less memory)
/// can decode with other ceilings without touching anyone else's. The defaults are far above
/// any chest radiograph (the largest are about 4300×3500) and below what fits comfortably in
/// memory on the machines Thorax trains on.
public struct ImagingLimits: Sendable, Equatable {
    /// Most pixels (width × height) one decoded image or frame may have: 8192×8192 by default.
    public var maximumPixels: Int
    /// Most bytes a deflated DICOM data set (1.2.840.10008.1.2.1.99) may inflate to: 1 GiB.
    public var maximumInflatedBytes: Int
    /// Deepest nesting of DICOM sequences (SQ items within SQ items) the reader walks: real
    /// files nest a handful deep; each level costs a few stack frames.
    public var maximumSequenceDepth: Int

    public init(maximumPixels: Int = 1 << 26, maximumInflatedBytes: Int = 1 << 30, maximumSequenceDepth: Int = 64) {
        self.maximumPixels = maximumPixels
        self.maximumInflatedBytes = maximumInflatedBytes
        self.maximumSequenceDepth = maximumSequenceDepth
    }

    /// The defaults above.
    public static let standard = ImagingLimits()

    /// Throws unless `width` × `height` is positive and at most `maximumPixels`; `what` starts the
    /// message, e.g. "JPEG".
    func checkPixels(_ width: Int, _ height: Int, file: String, what: String) throws {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard width > 0, height > 0, !overflow, pixels <= maximumPixels else {
            throw ImagingError(file: file, reason: "\(what): a \(width)x\(height) image is over the limit of \(maximumPixels) pixels (ImagingLimits.maximumPixels)")
        }
    }

    /// Throws unless `depth` sequences nesting is within `maximumSequenceDepth`; `tag` is the
    /// sequence that went one level too deep.
    func checkSequenceDepth(_ depth: Int, at tag: DICOMTag, _ error: (String) -> ImagingError) throws {
        guard depth <= maximumSequenceDepth else {
            throw error("corrupt data: sequences nest more than \(maximumSequenceDepth) deep at sequence \(tag) (ImagingLimits.maximumSequenceDepth)")
        }
    }
}

/// Ceilings the decoders check before they allocate, so that a small hostile file cannot make
/// them ask for gigabytes (a PNG or JPEG header declaring 65535×65535, a deflate bomb) or
/// recurse without end (DICOM sequences nested in sequences). Each decoder also checks what
/// it can against the bytes actually present; these are the backstop for what compresses well.
///
/// The defaults are far above any chest radiograph (the largest are about 4300×3500) and
/// below what fits comfortably in memory on the machines Thorax trains on. Set them once, at
/// startup, before decoding starts (they are plain globals, read without locking).
public enum ImagingLimits {
    /// Most pixels (width × height) one decoded image or frame may have: 8192×8192 by default.
    // nonisolated(unsafe): set once at startup (or by a test around its own decode), then only read.
    nonisolated(unsafe) public static var maximumPixels = 1 << 26
    /// Most bytes a deflated DICOM data set (1.2.840.10008.1.2.1.99) may inflate to: 1 GiB.
    // nonisolated(unsafe): set once at startup (or by a test around its own decode), then only read.
    nonisolated(unsafe) public static var maximumInflatedBytes = 1 << 30
    /// Deepest nesting of DICOM sequences (SQ items within SQ items) the reader walks: real
    /// files nest a handful deep; each level costs a few stack frames.
    // nonisolated(unsafe): set once at startup, then only read.
    nonisolated(unsafe) public static var maximumSequenceDepth = 64

    /// Throws unless `width` × `height` is positive and at most `maximumPixels`; `what` starts the
    /// message, e.g. "JPEG".
    static func checkPixels(_ width: Int, _ height: Int, file: String, what: String) throws {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard width > 0, height > 0, !overflow, pixels <= maximumPixels else {
            throw ImagingError(file: file, reason: "\(what): a \(width)x\(height) image is over the limit of \(maximumPixels) pixels (ImagingLimits.maximumPixels)")
        }
    }
}

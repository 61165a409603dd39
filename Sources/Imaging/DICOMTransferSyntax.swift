/// The DICOM transfer syntaxes this module knows by name: those it decodes, and the common
/// ones it does not (named in the error).
public enum DICOMTransferSyntax {
    public static let implicitLittleEndian = "1.2.840.10008.1.2"
    public static let explicitLittleEndian = "1.2.840.10008.1.2.1"
    public static let deflatedExplicitLittleEndian = "1.2.840.10008.1.2.1.99"
    public static let explicitBigEndian = "1.2.840.10008.1.2.2"
    public static let jpegBaseline = "1.2.840.10008.1.2.4.50"
    public static let jpegExtended = "1.2.840.10008.1.2.4.51"
    public static let jpegLossless = "1.2.840.10008.1.2.4.57"
    public static let jpegLosslessFirstOrder = "1.2.840.10008.1.2.4.70"
    public static let jpegLSLossless = "1.2.840.10008.1.2.4.80"
    public static let jpegLSNearLossless = "1.2.840.10008.1.2.4.81"
    public static let jpeg2000Lossless = "1.2.840.10008.1.2.4.90"
    public static let jpeg2000 = "1.2.840.10008.1.2.4.91"
    public static let rleLossless = "1.2.840.10008.1.2.5"

    /// The syntaxes whose pixel data this module decodes (`DICOMFile.image()`); any other is
    /// refused with its name.
    public static let decoded: Set<String> = [
        implicitLittleEndian, explicitLittleEndian, deflatedExplicitLittleEndian, explicitBigEndian,
        jpegBaseline, jpegExtended, jpegLossless, jpegLosslessFirstOrder, jpegLSLossless, jpegLSNearLossless,
        jpeg2000Lossless, jpeg2000, rleLossless,
    ]

    /// Human names for error messages.
    public static let names: [String: String] = [
        implicitLittleEndian: "Implicit VR Little Endian",
        explicitLittleEndian: "Explicit VR Little Endian",
        deflatedExplicitLittleEndian: "Deflated Explicit VR Little Endian",
        explicitBigEndian: "Explicit VR Big Endian",
        jpegBaseline: "JPEG Baseline (Process 1)",
        jpegExtended: "JPEG Extended (Process 2 & 4)",
        "1.2.840.10008.1.2.4.53": "JPEG Spectral Selection, Non-Hierarchical (retired)",
        "1.2.840.10008.1.2.4.55": "JPEG Full Progression, Non-Hierarchical (retired)",
        jpegLossless: "JPEG Lossless, Non-Hierarchical (Process 14)",
        jpegLosslessFirstOrder: "JPEG Lossless, First-Order Prediction (Process 14, Selection Value 1)",
        jpegLSLossless: "JPEG-LS Lossless",
        jpegLSNearLossless: "JPEG-LS Near-Lossless",
        jpeg2000Lossless: "JPEG 2000 (Lossless Only)",
        jpeg2000: "JPEG 2000",
        "1.2.840.10008.1.2.4.92": "JPEG 2000 Part 2 Multi-component (Lossless Only)",
        "1.2.840.10008.1.2.4.93": "JPEG 2000 Part 2 Multi-component",
        "1.2.840.10008.1.2.4.94": "JPIP Referenced",
        "1.2.840.10008.1.2.4.95": "JPIP Referenced Deflate",
        "1.2.840.10008.1.2.4.100": "MPEG2 Main Profile / Main Level",
        "1.2.840.10008.1.2.4.101": "MPEG2 Main Profile / High Level",
        "1.2.840.10008.1.2.4.102": "MPEG-4 AVC/H.264 High Profile / Level 4.1",
        "1.2.840.10008.1.2.4.103": "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
        "1.2.840.10008.1.2.4.201": "High-Throughput JPEG 2000 (Lossless Only)",
        "1.2.840.10008.1.2.4.202": "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)",
        "1.2.840.10008.1.2.4.203": "High-Throughput JPEG 2000",
        rleLossless: "RLE Lossless",
    ]

    /// "uid (name)" for messages.
    public static func describe(_ uid: String) -> String {
        names[uid].map { "\(uid) (\($0))" } ?? "\(uid) (unknown)"
    }
}

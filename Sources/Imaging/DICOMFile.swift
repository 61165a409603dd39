import CZlib
import Foundation

/// A parsed DICOM Part 10 file: its metadata and pixel data, decoded on demand.
///
/// Reads implicit and explicit VR little endian, explicit VR big endian and deflated explicit
/// VR little endian; encapsulated pixel data is decoded by `DICOMFile+Codecs.swift`.
public struct DICOMFile: Sendable {
    public let name: String
    public let metadata: DICOMMetadata
    let bytes: [UInt8]
    let littleEndian: Bool
    let pixelData: DICOMElement?

    /// Parses `data` (`name` is used in errors). Throws `ImagingError` when the file is not
    /// DICOM Part 10, is truncated or corrupt, lacks the image attributes, or nests sequences
    /// or inflates past `limits`. The pixel limit is the decoding calls' (`image(frame:limits:)`).
    public init(_ data: Data, name: String, limits: ImagingLimits = .standard) throws {
        self.name = name
        let (parser, metaEnd, syntax) = try DICOMFile.openDataSet(data, name: name, limits: limits)
        var elements: [DICOMTag: DICOMElement] = [:]
        try parser.parse(from: metaEnd, to: parser.bytes.count, store: true, into: &elements)
        bytes = parser.bytes
        littleEndian = parser.littleEndian
        pixelData = elements[DICOMTag.pixelData]

        let characterSet = elements[DICOMTag(0x0008, 0x0005)].map { DICOMFile.string(parser.bytes, $0.value) }
        let latin1 = characterSet.map(DICOMFile.isLatin1) ?? false
        func text(_ group: UInt16, _ element: UInt16) -> String? {
            guard let e = elements[DICOMTag(group, element)] else { return nil }
            let value = DICOMFile.string(parser.bytes, e.value, latin1: latin1)
            return value.isEmpty ? nil : value
        }
        func integer(_ group: UInt16, _ element: UInt16) -> Int? {
            text(group, element).flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        }
        func numbers(_ group: UInt16, _ element: UInt16) -> [Double]? {
            text(group, element).map { $0.split(separator: "\\").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }.filter { $0.isFinite } }
        }
        func unsigned(_ group: UInt16, _ element: UInt16) throws -> Int? {
            guard let e = elements[DICOMTag(group, element)] else { return nil }
            if e.vr == "US" || (e.vr == "??" && e.value.count == 2) {
                guard e.value.count >= 2 else {
                    throw parser.error("attribute \(DICOMTag(group, element)) is empty")
                }
                return Int(parser.uint16(at: e.value.lowerBound))
            }
            // IS, e.g. Number of Frames (or a US attribute written as text): IS is a 32-bit
            // signed integer, and a larger value would overflow the arithmetic on it below.
            guard let value = text(group, element).flatMap({ Int($0) }) else { return nil }
            guard abs(value) <= Int(Int32.max) else {
                throw parser.error("attribute \(DICOMTag(group, element)) holds \(value), outside the range of an integer string")
            }
            return value
        }
        func required(_ group: UInt16, _ element: UInt16, _ what: String) throws -> Int {
            guard let value = try unsigned(group, element) else {
                throw parser.error("missing \(what) \(DICOMTag(group, element))")
            }
            return value
        }

        let spacing = numbers(0x0028, 0x0030) ?? numbers(0x0018, 0x1164)
        let bitsAllocated = try required(0x0028, 0x0100, "Bits Allocated")
        metadata = DICOMMetadata(
            transferSyntaxUID: syntax,
            patientID: text(0x0010, 0x0020),
            studyInstanceUID: text(0x0020, 0x000D),
            seriesInstanceUID: text(0x0020, 0x000E),
            sopInstanceUID: text(0x0008, 0x0018),
            modality: text(0x0008, 0x0060),
            viewPosition: text(0x0018, 0x5101) ?? DICOMFile.projection(text(0x0018, 0x5100)),
            patientAge: text(0x0010, 0x1010),
            patientSex: text(0x0010, 0x0040),
            pixelSpacingValues: spacing.flatMap { $0.count >= 2 ? Array($0.prefix(2)) : nil },
            rows: try required(0x0028, 0x0010, "Rows"),
            columns: try required(0x0028, 0x0011, "Columns"),
            samplesPerPixel: try unsigned(0x0028, 0x0002) ?? 1,
            photometricInterpretation: text(0x0028, 0x0004) ?? "MONOCHROME2",
            bitsAllocated: bitsAllocated,
            bitsStored: try unsigned(0x0028, 0x0101) ?? bitsAllocated,
            highBit: try unsigned(0x0028, 0x0102) ?? ((try unsigned(0x0028, 0x0101) ?? bitsAllocated) - 1),
            pixelRepresentation: try unsigned(0x0028, 0x0103) ?? 0,
            numberOfFrames: max(1, try unsigned(0x0028, 0x0008) ?? 1),
            planarConfiguration: try unsigned(0x0028, 0x0006) ?? 0,
            rescaleSlope: numbers(0x0028, 0x1053)?.first ?? 1,
            rescaleIntercept: numbers(0x0028, 0x1052)?.first ?? 0,
            windowCenter: numbers(0x0028, 0x1050)?.first,
            windowWidth: numbers(0x0028, 0x1051)?.first,
            voiLUTFunction: text(0x0028, 0x1056)?.uppercased() ?? "LINEAR",
            sopClassUID: text(0x0008, 0x0016),
            specificCharacterSet: characterSet.flatMap { $0.isEmpty ? nil : $0 },
            patientName: text(0x0010, 0x0010),
            patientBirthDate: text(0x0010, 0x0030),
            studyDate: text(0x0008, 0x0020),
            studyTime: text(0x0008, 0x0030),
            accessionNumber: text(0x0008, 0x0050),
            studyID: text(0x0020, 0x0010),
            referringPhysicianName: text(0x0008, 0x0090),
            studyDescription: text(0x0008, 0x1030),
            seriesNumber: integer(0x0020, 0x0011),
            seriesDescription: text(0x0008, 0x103E),
            instanceNumber: integer(0x0020, 0x0013))
    }

    /// A parser positioned on the data set of the Part 10 file `data`: the file meta group
    /// read (its end and transfer syntax returned), the byte order and VR encoding set, a
    /// deflated data set inflated, the parser bound by `limits`. Throws `ImagingError` when
    /// `data` is not Part 10, its meta information lacks the transfer syntax, or a deflated
    /// data set inflates to more than `limits.maximumInflatedBytes`.
    static func openDataSet(_ data: Data, name: String, limits: ImagingLimits) throws -> (DICOMParser, Int, String) {
        var parser = DICOMParser(bytes: [UInt8](data), name: name, limits: limits)
        guard parser.bytes.count >= 132, parser.bytes[128..<132] == [0x44, 0x49, 0x43, 0x4D] else {
            throw parser.error("not a DICOM Part 10 file (no \"DICM\" at byte 128)")
        }
        var meta: [DICOMTag: DICOMElement] = [:]
        let (metaEnd, _) = try parser.parse(from: 132, to: parser.bytes.count, store: true, into: &meta, onlyGroup: 0x0002)
        guard let syntaxElement = meta[DICOMTag(0x0002, 0x0010)] else {
            throw parser.error("the file meta information has no Transfer Syntax UID (0002,0010)")
        }
        let syntax = DICOMFile.string(parser.bytes, syntaxElement.value)
        switch syntax {
        case DICOMTransferSyntax.implicitLittleEndian:
            parser.explicitVR = false
        case DICOMTransferSyntax.explicitBigEndian:
            parser.littleEndian = false
        case DICOMTransferSyntax.deflatedExplicitLittleEndian:
            let inflated = try DICOMFile.inflate(Array(parser.bytes[metaEnd...]), name: name,
                                                 limit: limits.maximumInflatedBytes)
            parser = DICOMParser(bytes: Array(parser.bytes[..<metaEnd]) + inflated, name: name, limits: limits)
        default:
            break
        }
        return (parser, metaEnd, syntax)
    }

    /// Reads and parses the file at `url` (see `init(_:name:limits:)`).
    public init(contentsOf url: URL, limits: ImagingLimits = .standard) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ImagingError(file: url.path, reason: "cannot read the file (\(ImageDecoder.describe(error)))")
        }
        try self.init(data, name: url.path, limits: limits)
    }

    func error(_ reason: String) -> ImagingError { ImagingError(file: name, reason: "DICOM: \(reason)") }

    /// Some exports (the NIH DICOMs among them) put the projection in Patient Position
    /// (0018,5100) instead of View Position: accept it there only when it names a projection.
    static func projection(_ patientPosition: String?) -> String? {
        guard let value = patientPosition?.uppercased(), ["PA", "AP", "LL", "RL", "LATERAL", "LAT"].contains(value) else {
            return nil
        }
        return value
    }

    /// A string value with DICOM's padding (trailing spaces and NULs, leading spaces) removed,
    /// decoded as UTF-8 (which ASCII, the default repertoire, is a part of) or, for a data set
    /// whose Specific Character Set is ISO_IR 100, as Latin-1.
    static func string(_ bytes: [UInt8], _ range: Range<Int>, latin1: Bool = false) -> String {
        let text = latin1 ? String(bytes[range].map { Character(Unicode.Scalar($0)) }) : String(decoding: bytes[range], as: UTF8.self)
        return text.trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
    }

    /// Whether a Specific Character Set (0008,0005) value names Latin-1 (ISO_IR 100, or its
    /// ISO 2022 form ISO 2022 IR 100) as the repertoire of its first value.
    static func isLatin1(_ characterSet: String) -> Bool {
        let first = characterSet.split(separator: "\\", omittingEmptySubsequences: false).first
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return first == "ISO_IR 100" || first == "ISO 2022 IR 100"
    }

    /// Inflates a deflated data set; more than `limit` bytes of output is an error (a deflate
    /// bomb inflates about 1000-fold, so a small file could otherwise exhaust memory).
    static func inflate(_ compressed: [UInt8], name: String, limit: Int) throws -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = compressed.withUnsafeBufferPointer {
            thorax_inflate_raw($0.baseAddress, $0.count, limit, &output, &size, &message, message.count)
        }
        guard status == 0, let output else {
            throw ImagingError(file: name, reason: "DICOM: deflated data set: \(String(cString: message))")
        }
        defer { free(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }
}

import Foundation

/// The file formats the decoders read, recognised by their first bytes (not the extension).
public enum ImageFormat: String, Sendable {
    case png, jpeg, dicom

    /// Sniffs PNG's signature, JPEG's SOI marker, or DICOM Part 10's "DICM" at offset 128.
    public static func detect(_ data: Data) -> ImageFormat? {
        let prefix = [UInt8](data.prefix(132))
        if prefix.count >= 8 && prefix[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] {
            return .png
        }
        if prefix.count >= 3 && prefix[0] == 0xFF && prefix[1] == 0xD8 && prefix[2] == 0xFF {
            return .jpeg
        }
        if prefix.count >= 132 && prefix[128..<132] == [0x44, 0x49, 0x43, 0x4D] {
            return .dicom
        }
        return nil
    }
}

/// Decodes any supported file (PNG, JPEG, DICOM Part 10) to 8-bit gray.
public enum ImageDecoder {
    /// Reads and decodes `url`. Throws `ImagingError` naming the file when it cannot be read,
    /// is in no supported format, is truncated or corrupt, or is over `limits`.
    public static func decode(contentsOf url: URL, limits: ImagingLimits = .standard) throws -> GrayscaleImage {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImagingError(file: url.path, reason: "cannot read the file (\(Self.describe(error)))")
        }
        return try decode(data, name: url.path, limits: limits)
    }

    /// Decodes in-memory file contents; `name` is used in error messages. Throws as
    /// `decode(contentsOf:limits:)`.
    public static func decode(_ data: Data, name: String, limits: ImagingLimits = .standard) throws -> GrayscaleImage {
        guard let format = ImageFormat.detect(data) else {
            if data.isEmpty { throw ImagingError(file: name, reason: "the file is empty") }
            throw ImagingError(file: name, reason: "not a PNG, JPEG or DICOM Part 10 file (unrecognised first bytes)")
        }
        switch format {
        case .png: return try PNGCodec.decode(data, name: name, limits: limits)
        case .jpeg: return try JPEGCodec.decode(data, name: name, limits: limits)
        case .dicom: return try DICOMFile(data, name: name, limits: limits).image(limits: limits)
        }
    }

    /// Why a file could not be read, in a few words: the system's reason ("No such file or
    /// directory", "Is a directory", "Permission denied") when the error carries one.
    static func describe(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError {
            if underlying.domain == NSPOSIXErrorDomain, let text = strerror(Int32(underlying.code)) {
                return String(cString: text)
            }
            if let text = underlying.userInfo[NSLocalizedDescriptionKey] as? String { return text }
        }
        return nsError.localizedDescription
    }
}

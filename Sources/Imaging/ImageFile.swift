import Foundation

extension GrayscaleImage {
    /// Writes the image as PNG to `url` atomically (a temporary file renamed into place), so a
    /// reader never sees half a file. Throws `ImagingError` naming the file.
    public func writePNG(to url: URL) throws {
        try ImageFile.write(PNGCodec.encode(self), to: url)
    }
}

extension RGBImage {
    /// Writes the image as PNG to `url` atomically. Throws `ImagingError` naming the file.
    public func writePNG(to url: URL, compression: PNGCodec.Compression = .small) throws {
        try ImageFile.write(PNGCodec.encode(self, compression: compression), to: url)
    }
}

enum ImageFile {
    static func write(_ data: @autoclosure () throws -> Data, to url: URL) throws {
        let bytes: Data
        do { bytes = try data() } catch let error as ImagingError {
            throw ImagingError(file: url.path, reason: error.reason)
        }
        do {
            try bytes.write(to: url, options: .atomic)
        } catch {
            throw ImagingError(file: url.path, reason: "cannot write the file (\(ImageDecoder.describe(error)))")
        }
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import Imaging
import Service
import Store

/// The pictures of a stored image the pages show: the film (PNG and JPEG files as stored,
/// DICOM rendered with a window), thumbnails cached on disk on first request, and a
/// placeholder when the image's file is not on disk.
struct ImagePictures: Sendable {
    let thumbnailDirectory: URL
    let thumbnailSize: Int

    /// The header that marks a placeholder answer (the image's file is missing or unreadable).
    static let placeholderHeader = HTTPField.Name("X-Thorax-Placeholder")!

    /// The image's file bytes and format; nil when it has no recorded file or the file is gone.
    static func file(of image: ImageDetail) -> (data: Data, format: ImageFormat)? {
        guard let path = image.path, let data = FileManager.default.contents(atPath: path),
              let format = ImageFormat.detect(data) else { return nil }
        return (data, format)
    }

    /// The film as the page draws it: PNG and JPEG files as stored (without a window), DICOM
    /// through its Modality LUT and `window` (or its own first VOI window) as 8-bit PNG.
    /// A missing or undecodable file gives the placeholder.
    func rendered(_ image: ImageDetail, window: DisplayWindow?) throws -> Response {
        guard let file = Self.file(of: image) else { return placeholder(reason: "no file on disk") }
        let (data, format) = file
        if window == nil, format != .dicom {
            return Self.response(data, contentType: format == .png ? "image/png" : "image/jpeg")
        }
        do {
            let gray: GrayscaleImage
            if format == .dicom {
                let dicom = try DICOMFile(data, name: image.name)
                gray = try window.map { try $0.render(dicom) } ?? dicom.image()
            } else {
                gray = window!.render(try ImageDecoder.decode(data, name: image.name))
            }
            return Self.response(try PNGCodec.encode(gray, compression: .fast), contentType: "image/png")
        } catch let error as ImagingError {
            return placeholder(reason: "undecodable file: \(error.reason)")
        }
    }

    /// The stored bytes with their media type, for posting to `/v1/predict`; 404 without a file.
    func storedFile(of image: ImageDetail) throws -> Response {
        guard let file = Self.file(of: image) else {
            throw ServiceError.notFound("image \(image.id) has no file on disk")
        }
        let types: [ImageFormat: String] = [.png: "image/png", .jpeg: "image/jpeg", .dicom: "application/dicom"]
        return Self.response(file.data, contentType: types[file.format] ?? "application/octet-stream")
    }

    /// A thumbnail (the longer side `thumbnailSize`), made on first request and kept as
    /// `<id>-<name>.png` in the thumbnail folder (written atomically, so a concurrent request
    /// reads either no file or a whole one).
    func thumbnail(of image: ImageDetail) throws -> Response {
        let safeName = String(image.name.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" }.prefix(80))
        let cached = thumbnailDirectory.appendingPathComponent("\(image.id)-\(safeName).png")
        if let data = FileManager.default.contents(atPath: cached.path), !data.isEmpty {
            return Self.response(data, contentType: "image/png")
        }
        guard let file = Self.file(of: image) else { return placeholder(reason: "no file on disk") }
        let gray: GrayscaleImage
        do {
            gray = try ImageDecoder.decode(file.data, name: image.name)
        } catch let error as ImagingError {
            return placeholder(reason: "undecodable file: \(error.reason)")
        }
        let scale = Double(thumbnailSize) / Double(max(gray.width, gray.height))
        let small = scale >= 1 ? gray : gray.resized(width: max(1, Int((Double(gray.width) * scale).rounded())),
                                                    height: max(1, Int((Double(gray.height) * scale).rounded())))
        let png = try PNGCodec.encode(small, compression: .fast)
        // A read-only folder only costs the cache: the thumbnail is still answered.
        try? png.write(to: cached, options: .atomic)
        return Self.response(png, contentType: "image/png")
    }

    /// A hatched square with the `X-Thorax-Placeholder` header saying why: the pages show
    /// "file not on disk" over it instead of a broken image.
    func placeholder(reason: String) -> Response {
        let size = thumbnailSize
        var pixels = [UInt8](repeating: 48, count: size * size)
        for y in 0..<size { for x in 0..<size where (x + y) % 16 < 2 { pixels[y * size + x] = 96 } }
        let png = (try? PNGCodec.encode(GrayscaleImage(width: size, height: size, pixels: pixels), compression: .fast)) ?? Data()
        var response = Self.response(png, contentType: "image/png")
        // A header value is one line of visible ASCII.
        response.headers[Self.placeholderHeader] = String(reason.unicodeScalars.filter { $0.isASCII && $0.value >= 32 && $0.value < 127 }
            .prefix(200).map(Character.init))
        return response
    }

    static func response(_ data: Data, contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType, .cacheControl: "no-cache"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

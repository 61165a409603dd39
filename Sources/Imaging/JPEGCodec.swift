import CTurboJPEG
import Foundation

/// JPEG decoding through libjpeg-turbo's TurboJPEG API (8-bit baseline, extended and
/// progressive; Debian's libjpeg-turbo 2.1 has no 12-bit or lossless JPEG: DICOM's lossless
/// JPEG is decoded by `LosslessJPEGDecoder`, written in Swift for that reason), and gray
/// baseline encoding (rendered images).
public enum JPEGCodec {
    /// Decodes a JPEG to 8-bit gray (colour images give their luma).
    /// Throws `ImagingError` naming `name` for 12-bit or lossless streams (precision and
    /// process named), for truncated or corrupt data, and for a frame header declaring more
    /// than `limits.maximumPixels`.
    public static func decode(_ data: Data, name: String, limits: ImagingLimits = .standard) throws -> GrayscaleImage {
        if let frame = JPEGMarkers.startOfFrame(in: data) {
            if frame.isLossless {
                throw ImagingError(file: name, reason: "JPEG: lossless JPEG (SOF\(frame.marker - 0xC0)) is not decoded by libjpeg-turbo 2.1; use a DICOM lossless transfer syntax or convert the file")
            }
            if frame.precision != 8 {
                throw ImagingError(file: name, reason: "JPEG: \(frame.precision)-bit JPEG is not supported (Debian's libjpeg-turbo 2.1 decodes 8-bit JPEG only)")
            }
        }
        var width: Int32 = 0, height: Int32 = 0
        var pixels: UnsafeMutablePointer<UInt8>? = nil
        var message = [CChar](repeating: 0, count: 256)
        let status = data.withUnsafeBytes { raw -> Int32 in
            thorax_jpeg_decode_gray(raw.bindMemory(to: UInt8.self).baseAddress, UInt(raw.count), limits.maximumPixels, &pixels,
                                    &width, &height, &message, message.count)
        }
        guard status == 0, let pixels else {
            throw ImagingError(file: name, reason: "JPEG: \(String(cString: message))")
        }
        defer { free(pixels) }
        let gray = [UInt8](UnsafeBufferPointer(start: pixels, count: Int(width) * Int(height)))
        return GrayscaleImage(width: Int(width), height: Int(height), pixels: gray)
    }

    /// Encodes an 8-bit gray image as a baseline JPEG (one component) at `quality` (1–100).
    /// Throws `ImagingError` for an empty image or a quality out of range.
    public static func encode(_ image: GrayscaleImage, quality: Int = 90) throws -> Data {
        guard image.width > 0, image.height > 0, image.width <= 0xFFFF, image.height <= 0xFFFF else {
            throw ImagingError(file: "<jpeg>", reason: "cannot encode a \(image.width)x\(image.height) image as JPEG (1 to 65535 pixels a side)")
        }
        guard (1...100).contains(quality) else {
            throw ImagingError(file: "<jpeg>", reason: "JPEG quality \(quality) is outside 1...100")
        }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = image.pixels.withUnsafeBufferPointer {
            thorax_jpeg_encode_gray($0.baseAddress, Int32(image.width), Int32(image.height), Int32(quality), &output, &size,
                                    &message, message.count)
        }
        guard status == 0, let output else {
            throw ImagingError(file: "<jpeg>", reason: "JPEG encoding failed: \(String(cString: message))")
        }
        return Data(bytesNoCopy: output, count: Int(size), deallocator: .free)
    }
}

/// Finds a JPEG stream's start-of-frame marker, to name what a decoder cannot handle before
/// handing it to one.
enum JPEGMarkers {
    struct Frame {
        var marker: Int
        var precision: Int
        var height: Int
        var width: Int
        var components: Int
        /// SOF3, SOF7, SOF11, SOF15: lossless processes.
        var isLossless: Bool { marker == 0xC3 || marker == 0xC7 || marker == 0xCB || marker == 0xCF }
    }

    /// The first SOF segment, or nil when the data is not a well-formed marker sequence up to one.
    static func startOfFrame(in data: Data) -> Frame? {
        data.withUnsafeBytes { raw -> Frame? in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return nil }
            var index = 2
            while index + 4 <= bytes.count {
                guard bytes[index] == 0xFF else { return nil }
                let marker = Int(bytes[index + 1])
                if marker == 0xFF { index += 1; continue }
                let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
                if (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC {
                    guard index + 10 <= bytes.count else { return nil }
                    return Frame(marker: marker, precision: Int(bytes[index + 4]),
                                 height: Int(bytes[index + 5]) << 8 | Int(bytes[index + 6]),
                                 width: Int(bytes[index + 7]) << 8 | Int(bytes[index + 8]),
                                 components: Int(bytes[index + 9]))
                }
                if marker == 0xDA || marker == 0xD9 { return nil }
                index += 2 + length
            }
            return nil
        }
    }
}

import CPNG
import Foundation

/// PNG decoding and encoding: the common layouts through `PNGDirectDecoder` (ISA-L inflate),
/// everything else and all errors through libpng (the CPNG shim keeps libpng's longjmp in C).
public enum PNGCodec {
    /// Decodes a PNG (any colour type, 1–16 bits, interlaced or not) to the samples it stores:
    /// palettes are expanded to RGB(A) and gray below 8 bits to 8 bits.
    /// Throws `ImagingError` naming `name` when the data is not a PNG, truncated or corrupt,
    /// or its header declares more than `limits.maximumPixels`.
    public static func decodeSamples(_ data: Data, name: String, limits: ImagingLimits = .standard) throws -> SampleImage {
        if let direct = PNGDirectDecoder.decode(data, limits: limits) { return sampleImage(direct) }
        return try decodeSamplesWithLibPNG(data, name: name, limits: limits)
    }

    /// Decodes a PNG to 8-bit gray (see `SampleImage.grayscale()` for colour and 16-bit).
    /// 8-bit gray files, the common case, skip the intermediate copy. Throws as `decodeSamples`.
    public static func decode(_ data: Data, name: String, limits: ImagingLimits = .standard) throws -> GrayscaleImage {
        if let direct = PNGDirectDecoder.decode(data, limits: limits) {
            let header = direct.header
            if header.channels == 1 && header.bitDepth == 8 {
                return GrayscaleImage(width: header.width, height: header.height, pixels: direct.bytes)
            }
            return sampleImage(direct).grayscale()
        }
        return try decodeWithLibPNG(data, name: name, limits: limits)
    }

    /// `decodeSamples` through libpng only: the reference the direct path is tested against.
    static func decodeSamplesWithLibPNG(_ data: Data, name: String, limits: ImagingLimits = .standard) throws -> SampleImage {
        try withDecoded(data, name: name, limits: limits) { sampleImage($0, $1, $2, $3, $4) }
    }

    /// `decode` through libpng only: the baseline `thorax image bench` times the direct path against.
    public static func decodeWithLibPNG(_ data: Data, name: String, limits: ImagingLimits = .standard) throws -> GrayscaleImage {
        try withDecoded(data, name: name, limits: limits) { pixels, width, height, channels, bitDepth in
            if channels == 1 && bitDepth == 8 {
                let gray = [UInt8](UnsafeBufferPointer(start: pixels, count: width * height))
                return GrayscaleImage(width: width, height: height, pixels: gray)
            }
            return sampleImage(pixels, width, height, channels, bitDepth).grayscale()
        }
    }

    /// Runs libpng through the shim and hands `body` the decoded buffer (freed afterwards):
    /// pixels, width, height, channels, bit depth.
    private static func withDecoded<T>(_ data: Data, name: String, limits: ImagingLimits,
                                       _ body: (UnsafeMutablePointer<UInt8>, Int, Int, Int, Int) -> T) throws -> T {
        var width: Int32 = 0, height: Int32 = 0, channels: Int32 = 0, bitDepth: Int32 = 0
        var pixels: UnsafeMutablePointer<UInt8>? = nil
        var message = [CChar](repeating: 0, count: 256)
        let status = data.withUnsafeBytes { raw -> Int32 in
            thorax_png_decode(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, limits.maximumPixels, &pixels,
                              &width, &height, &channels, &bitDepth, &message, message.count)
        }
        guard status == 0, let pixels else {
            throw ImagingError(file: name, reason: "PNG: \(String(cString: message))")
        }
        defer { free(pixels) }
        return body(pixels, Int(width), Int(height), Int(channels), Int(bitDepth))
    }

    /// Copies a decoded buffer (16-bit samples in host order) into a `SampleImage`.
    private static func sampleImage(_ pixels: UnsafeMutablePointer<UInt8>, _ width: Int, _ height: Int,
                                    _ channels: Int, _ bitDepth: Int) -> SampleImage {
        let count = width * height * channels
        var samples = [UInt16](repeating: 0, count: count)
        samples.withUnsafeMutableBufferPointer { destination in
            if bitDepth == 16 {
                pixels.withMemoryRebound(to: UInt16.self, capacity: count) { source in
                    for i in 0..<count { destination[i] = source[i] }
                }
            } else {
                for i in 0..<count { destination[i] = UInt16(pixels[i]) }
            }
        }
        return SampleImage(width: width, height: height, channels: channels, bitDepth: bitDepth, samples: samples)
    }

    /// A direct decode's bytes (16-bit samples big-endian) as a `SampleImage`.
    private static func sampleImage(_ decoded: PNGDirectDecoder.Decoded) -> SampleImage {
        let header = decoded.header
        let count = header.width * header.height * header.channels
        var samples = [UInt16](repeating: 0, count: count)
        decoded.bytes.withUnsafeBufferPointer { source in
            samples.withUnsafeMutableBufferPointer { destination in
                if header.bitDepth == 16 {
                    for i in 0..<count { destination[i] = UInt16(source[2 * i]) << 8 | UInt16(source[2 * i + 1]) }
                } else {
                    for i in 0..<count { destination[i] = UInt16(source[i]) }
                }
            }
        }
        return SampleImage(width: header.width, height: header.height, channels: header.channels,
                           bitDepth: header.bitDepth, samples: samples)
    }

    /// How hard the encoder compresses.
    public enum Compression: Sendable {
        /// libpng's defaults: smaller files (decoded images written for keeping).
        case small
        /// Larger files, several times faster (figures, served images): the Up filter and
        /// ISA-L's deflate (`PNGDirectEncoder`), or libpng's fast mode if ISA-L fails.
        case fast
    }

    /// Encodes an 8-bit gray image as PNG.
    public static func encode(_ image: GrayscaleImage, compression: Compression = .small) throws -> Data {
        try image.pixels.withUnsafeBytes {
            try encode($0.baseAddress!, width: image.width, height: image.height, channels: 1, compression: compression)
        }
    }

    /// Encodes an 8-bit RGB image as PNG.
    public static func encode(_ image: RGBImage, compression: Compression = .small) throws -> Data {
        try image.pixels.withUnsafeBytes {
            try encode($0.baseAddress!, width: image.width, height: image.height, channels: 3, compression: compression)
        }
    }

    static func encode(_ pixels: UnsafeRawPointer, width: Int, height: Int, channels: Int, compression: Compression) throws -> Data {
        guard width > 0 && height > 0 else {
            throw ImagingError(file: "<png>", reason: "cannot encode an empty \(width)x\(height) image")
        }
        if compression == .fast, channels != 4,
           let direct = PNGDirectEncoder.encode(UnsafeBufferPointer(start: pixels.assumingMemoryBound(to: UInt8.self),
                                                                   count: width * height * channels),
                                                width: width, height: height, channels: channels) {
            return direct
        }
        return try encodeWithLibPNG(pixels, width: width, height: height, channels: channels, compression: compression)
    }

    /// `encode` through libpng only (its fast mode for `.fast`): the twin the direct encoder is tested against.
    static func encodeWithLibPNG(_ pixels: UnsafeRawPointer, width: Int, height: Int, channels: Int,
                                 compression: Compression) throws -> Data {
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = thorax_png_encode(pixels, Int32(width), Int32(height), Int32(channels), compression == .fast ? 1 : 0,
                                       &output, &size, &message, message.count)
        guard status == 0, let output else {
            throw ImagingError(file: "<png>", reason: "PNG encoding failed: \(String(cString: message))")
        }
        return Data(bytesNoCopy: output, count: size, deallocator: .free)
    }
}

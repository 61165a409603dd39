/// Samples exactly as a file stores them, before any conversion to 8-bit gray: `channels`
/// interleaved samples per pixel (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA), each `bitDepth` bits
/// (8 or 16) held in a `UInt16`. Used to compare decoders with reference decoders bit for bit.
public struct SampleImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let channels: Int
    public let bitDepth: Int
    /// Row-major, channel-interleaved: `samples[(y * width + x) * channels + c]`.
    public var samples: [UInt16]

    public init(width: Int, height: Int, channels: Int, bitDepth: Int, samples: [UInt16]) {
        precondition(samples.count == width * height * channels, "SampleImage: sample count mismatch")
        self.width = width
        self.height = height
        self.channels = channels
        self.bitDepth = bitDepth
        self.samples = samples
    }

    /// One gray channel in 8 bits: colour becomes ITU-R 601 luma with Pillow's integer weights
    /// ((19595 R + 38470 G + 7471 B + 32768) >> 16, so 8-bit results equal `Image.convert("L")`),
    /// alpha is dropped, and 16-bit samples are scaled by 255/65535 with rounding.
    public func grayscale() -> GrayscaleImage {
        let count = width * height
        var output = [UInt8](repeating: 0, count: count)
        let to8: (UInt16) -> UInt32 = bitDepth == 16
            ? { (UInt32($0) * 255 + 32767) / 65535 }
            : { UInt32($0) }
        samples.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                switch channels {
                case 1, 2:
                    for i in 0..<count { destination[i] = UInt8(to8(source[i * channels])) }
                default:
                    for i in 0..<count {
                        let r = to8(source[i * channels]), g = to8(source[i * channels + 1]),
                            b = to8(source[i * channels + 2])
                        destination[i] = UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
                    }
                }
            }
        }
        return GrayscaleImage(width: width, height: height, pixels: output)
    }
}

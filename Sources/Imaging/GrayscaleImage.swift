/// An 8-bit single-channel image, row-major, `pixels[y * width + x]`: what every decoder
/// produces (PNG, JPEG, DICOM after its windowing) and what preprocessing consumes.
public struct GrayscaleImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Row-major samples, `width * height` of them; 0 is black.
    public var pixels: [UInt8]

    /// Wraps `pixels` (row-major, `width * height` values). Traps when the count disagrees:
    /// that is a programming error, not bad input.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height,
                     "GrayscaleImage: \(pixels.count) pixels for \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A `width` × `height` image filled with `value`.
    public init(width: Int, height: Int, filledWith value: UInt8 = 0) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: value, count: width * height))
    }

    public subscript(x: Int, y: Int) -> UInt8 {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }
}

/// A planar float image, `pixels[(c * height + y) * width + x]`, shape (C, H, W): what
/// preprocessing produces for the network.
public struct FloatImage: Sendable, Equatable {
    public let channels: Int
    public let width: Int
    public let height: Int
    public var pixels: [Float]

    public init(channels: Int, width: Int, height: Int, pixels: [Float]) {
        precondition(pixels.count == channels * width * height,
                     "FloatImage: \(pixels.count) values for \(channels)x\(height)x\(width)")
        self.channels = channels
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public subscript(c: Int, x: Int, y: Int) -> Float {
        get { pixels[(c * height + y) * width + x] }
        set { pixels[(c * height + y) * width + x] = newValue }
    }
}

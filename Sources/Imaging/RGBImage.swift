/// An 8-bit RGB image, row-major and interleaved: `pixels[(y * width + x) * 3 + c]`.
/// Heatmap overlays and box drawings are RGB.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "RGBImage: \(pixels.count) bytes for \(width)x\(height)x3")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The gray image with its value copied into all three channels.
    public init(_ gray: GrayscaleImage) {
        var pixels = [UInt8](repeating: 0, count: gray.width * gray.height * 3)
        for i in 0..<gray.pixels.count {
            let value = gray.pixels[i]
            pixels[3 * i] = value
            pixels[3 * i + 1] = value
            pixels[3 * i + 2] = value
        }
        self.init(width: gray.width, height: gray.height, pixels: pixels)
    }

    /// The colour at (x, y) as (red, green, blue).
    public subscript(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        get {
            let i = (y * width + x) * 3
            return (pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = (y * width + x) * 3
            pixels[i] = newValue.0
            pixels[i + 1] = newValue.1
            pixels[i + 2] = newValue.2
        }
    }
}

@testable import Imaging

/// The heatmap overlay as it was written first, kept as the twin of the fused render and of
/// the band-only box outline: a colour image of the whole map, then a blend, and boxes drawn
/// by testing every pixel inside them.
enum ReferenceOverlay {
    static func colorize(_ values: [Float], width: Int, height: Int, outputWidth: Int, outputHeight: Int,
                         range: ClosedRange<Float>? = nil, colormap: Colormap = .jet) -> RGBImage {
        var resized = [Float](repeating: 0, count: outputWidth * outputHeight)
        values.withUnsafeBufferPointer { source in
            resized.withUnsafeMutableBufferPointer {
                Resampler.resize(source: source, width: width, height: height, outputWidth: outputWidth,
                                 outputHeight: outputHeight, windowX: 0, windowY: 0, windowWidth: outputWidth,
                                 windowHeight: outputHeight, method: .bilinear, into: $0)
            }
        }
        let low = range?.lowerBound ?? values.filter { !$0.isNaN }.min() ?? 0
        let high = range?.upperBound ?? values.filter { !$0.isNaN }.max() ?? 0
        let scale: Float = high > low ? 1 / (high - low) : 0
        var pixels = [UInt8](repeating: 0, count: outputWidth * outputHeight * 3)
        for i in 0..<resized.count {
            let (r, g, b) = colormap.color((resized[i] - low) * scale)
            pixels[3 * i] = r
            pixels[3 * i + 1] = g
            pixels[3 * i + 2] = b
        }
        return RGBImage(width: outputWidth, height: outputHeight, pixels: pixels)
    }

    static func blend(_ image: GrayscaleImage, _ overlay: RGBImage, alpha: Float = 0.4) -> RGBImage {
        let a = min(max(alpha, 0), 1)
        var pixels = [UInt8](repeating: 0, count: overlay.pixels.count)
        for i in 0..<image.pixels.count {
            let gray = Float(image.pixels[i]) * (1 - a)
            for c in 0..<3 {
                pixels[3 * i + c] = UInt8(min(max(gray + Float(overlay.pixels[3 * i + c]) * a, 0), 255).rounded())
            }
        }
        return RGBImage(width: image.width, height: image.height, pixels: pixels)
    }

    static func render(_ image: GrayscaleImage, heatmap values: [Float], width: Int, height: Int,
                       alpha: Float = 0.4, range: ClosedRange<Float>? = nil) -> RGBImage {
        blend(image, colorize(values, width: width, height: height, outputWidth: image.width,
                              outputHeight: image.height, range: range), alpha: alpha)
    }

    static func drawBox(_ image: inout RGBImage, x: Double, y: Double, width boxWidth: Double, height boxHeight: Double,
                        color: (UInt8, UInt8, UInt8), lineWidth: Int = 2) {
        let x0 = Int(x.rounded()), y0 = Int(y.rounded())
        let x1 = Int((x + boxWidth).rounded()) - 1, y1 = Int((y + boxHeight).rounded()) - 1
        let left = max(0, x0), right = min(image.width - 1, x1), top = max(0, y0), bottom = min(image.height - 1, y1)
        guard left <= right, top <= bottom, lineWidth > 0 else { return }
        for py in top...bottom {
            for px in left...right {
                let onEdge = px - x0 < lineWidth || x1 - px < lineWidth || py - y0 < lineWidth || y1 - py < lineWidth
                if onEdge { image[px, py] = color }
            }
        }
    }
}

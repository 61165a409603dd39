/// Heatmap rendering for localization figures: colour a class activation map, blend it over
/// the X-ray, draw boxes on the result.
public enum HeatmapOverlay {
    // values: (height, width) row-major -> RGB (outputHeight, outputWidth)
    /// Colours `values` (a `width` × `height` map, e.g. a CAM) with `colormap` after resizing
    /// it bilinearly to `outputWidth` × `outputHeight` and mapping `range` (default: the map's
    /// minimum to maximum; a constant map becomes all 0) to [0, 1].
    public static func colorize(_ values: [Float], width: Int, height: Int,
                                outputWidth: Int, outputHeight: Int,
                                range: ClosedRange<Float>? = nil, colormap: Colormap = .jet) -> RGBImage {
        precondition(values.count == width * height && width > 0 && height > 0, "heatmap values do not match \(width)x\(height)")
        precondition(outputWidth > 0 && outputHeight > 0)
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

    /// (1 − alpha) · X-ray + alpha · colour, per channel, rounded. Traps when sizes differ.
    public static func blend(_ image: GrayscaleImage, _ overlay: RGBImage, alpha: Float = 0.4) -> RGBImage {
        precondition(image.width == overlay.width && image.height == overlay.height,
                     "blend: image \(image.width)x\(image.height), overlay \(overlay.width)x\(overlay.height)")
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

    /// The X-ray with the map coloured and blended over it: `colorize` at the image's size,
    /// then `blend`.
    public static func render(_ image: GrayscaleImage, heatmap values: [Float], width: Int, height: Int,
                              alpha: Float = 0.4, range: ClosedRange<Float>? = nil) -> RGBImage {
        blend(image, colorize(values, width: width, height: height, outputWidth: image.width,
                              outputHeight: image.height, range: range), alpha: alpha)
    }
}

extension RGBImage {
    /// Draws the outline of the box with corner (x, y) and size width × height (pixels,
    /// boxes as the NIH file gives them), `lineWidth` pixels thick inside the box, clipped to
    /// the image. Boxes entirely outside draw nothing.
    public mutating func drawBox(x: Double, y: Double, width boxWidth: Double, height boxHeight: Double,
                                 color: (UInt8, UInt8, UInt8), lineWidth: Int = 2) {
        let x0 = Int(x.rounded()), y0 = Int(y.rounded())
        let x1 = Int((x + boxWidth).rounded()) - 1, y1 = Int((y + boxHeight).rounded()) - 1
        let left = max(0, x0), right = min(width - 1, x1), top = max(0, y0), bottom = min(height - 1, y1)
        guard left <= right, top <= bottom, lineWidth > 0 else { return }
        for py in top...bottom {
            for px in left...right {
                let onEdge = px - x0 < lineWidth || x1 - px < lineWidth || py - y0 < lineWidth || y1 - py < lineWidth
                if onEdge { self[px, py] = color }
            }
        }
    }
}

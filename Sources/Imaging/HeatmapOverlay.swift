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
        let resized = resize(values, width: width, height: height, outputWidth: outputWidth, outputHeight: outputHeight)
        let (low, scale) = scaling(values, range: range)
        var pixels = [UInt8](repeating: 0, count: outputWidth * outputHeight * 3)
        resized.withUnsafeBufferPointer { map in
            pixels.withUnsafeMutableBufferPointer { out in
                for i in 0..<map.count {
                    let (r, g, b) = colormap.color((map[i] - low) * scale)
                    out[3 * i] = r
                    out[3 * i + 1] = g
                    out[3 * i + 2] = b
                }
            }
        }
        return RGBImage(width: outputWidth, height: outputHeight, pixels: pixels)
    }

    /// (1 − alpha) · X-ray + alpha · colour, per channel, rounded. Traps when sizes differ.
    public static func blend(_ image: GrayscaleImage, _ overlay: RGBImage, alpha: Float = 0.4) -> RGBImage {
        precondition(image.width == overlay.width && image.height == overlay.height,
                     "blend: image \(image.width)x\(image.height), overlay \(overlay.width)x\(overlay.height)")
        let a = min(max(alpha, 0), 1)
        var pixels = [UInt8](repeating: 0, count: overlay.pixels.count)
        image.pixels.withUnsafeBufferPointer { gray in
            overlay.pixels.withUnsafeBufferPointer { colour in
                pixels.withUnsafeMutableBufferPointer { out in
                    for i in 0..<gray.count {
                        let base = Float(gray[i]) * (1 - a)
                        for c in 0..<3 { out[3 * i + c] = blended(base, colour[3 * i + c], alpha: a) }
                    }
                }
            }
        }
        return RGBImage(width: image.width, height: image.height, pixels: pixels)
    }

    /// The X-ray with the map coloured and blended over it: `blend(image, colorize(…))` in one
    /// pass, with no intermediate colour image, and the blend looked up in a table of every
    /// (gray, colour) pair (65,536 entries of the same formula, built once per figure instead of
    /// three float roundings per pixel).
    public static func render(_ image: GrayscaleImage, heatmap values: [Float], width: Int, height: Int,
                              alpha: Float = 0.4, range: ClosedRange<Float>? = nil, colormap: Colormap = .jet) -> RGBImage {
        let resized = resize(values, width: width, height: height, outputWidth: image.width, outputHeight: image.height)
        let (low, scale) = scaling(values, range: range)
        let a = min(max(alpha, 0), 1)
        // table[gray << 8 | colour]
        var table = [UInt8](repeating: 0, count: 256 * 256)
        table.withUnsafeMutableBufferPointer { table in
            for gray in 0..<256 {
                let base = Float(gray) * (1 - a)
                for colour in 0..<256 { table[gray << 8 | colour] = blended(base, UInt8(colour), alpha: a) }
            }
        }
        var pixels = [UInt8](repeating: 0, count: image.width * image.height * 3)
        image.pixels.withUnsafeBufferPointer { gray in
            resized.withUnsafeBufferPointer { map in
                table.withUnsafeBufferPointer { table in
                    pixels.withUnsafeMutableBufferPointer { out in
                        for i in 0..<gray.count {
                            let row = Int(gray[i]) << 8
                            let (r, g, b) = colormap.color((map[i] - low) * scale)
                            out[3 * i] = table[row | Int(r)]
                            out[3 * i + 1] = table[row | Int(g)]
                            out[3 * i + 2] = table[row | Int(b)]
                        }
                    }
                }
            }
        }
        return RGBImage(width: image.width, height: image.height, pixels: pixels)
    }

    /// One blended channel: `base` is (1 − alpha) · gray.
    @inline(__always)
    static func blended(_ base: Float, _ colour: UInt8, alpha: Float) -> UInt8 {
        roundedByte(min(max(base + Float(colour) * alpha, 0), 255))
    }

    /// `values` resized bilinearly to the output size, as floats.
    static func resize(_ values: [Float], width: Int, height: Int, outputWidth: Int, outputHeight: Int) -> [Float] {
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
        return resized
    }

    /// The offset and scale that map `range` (default: the map's extremes, NaN ignored) to [0, 1].
    static func scaling(_ values: [Float], range: ClosedRange<Float>?) -> (low: Float, scale: Float) {
        let low = range?.lowerBound ?? values.filter { !$0.isNaN }.min() ?? 0
        let high = range?.upperBound ?? values.filter { !$0.isNaN }.max() ?? 0
        return (low, high > low ? 1 / (high - low) : 0)
    }
}

extension RGBImage {
    /// Draws the outline of the box with corner (x, y) and size width × height (pixels,
    /// boxes as the NIH file gives them), `lineWidth` pixels thick inside the box, clipped to
    /// the image. Boxes entirely outside draw nothing. Only the outline's bands are visited,
    /// not the box's inside.
    public mutating func drawBox(x: Double, y: Double, width boxWidth: Double, height boxHeight: Double,
                                 color: (UInt8, UInt8, UInt8), lineWidth: Int = 2) {
        let x0 = Int(x.rounded()), y0 = Int(y.rounded())
        let x1 = Int((x + boxWidth).rounded()) - 1, y1 = Int((y + boxHeight).rounded()) - 1
        let left = max(0, x0), right = min(width - 1, x1), top = max(0, y0), bottom = min(height - 1, y1)
        guard left <= right, top <= bottom, lineWidth > 0 else { return }
        let imageWidth = width
        pixels.withUnsafeMutableBufferPointer { out in
            func fill(_ row: Int, _ from: Int, _ to: Int) {
                guard from <= to else { return }
                for px in from...to {
                    let i = (row * imageWidth + px) * 3
                    out[i] = color.0
                    out[i + 1] = color.1
                    out[i + 2] = color.2
                }
            }
            for py in top...bottom {
                if py - y0 < lineWidth || y1 - py < lineWidth {
                    fill(py, left, right)  // a top or bottom band: the whole row
                } else {
                    // Columns within lineWidth of the left side, then of the right side (they may overlap).
                    let leftEnd = min(right, x0 + lineWidth - 1), rightStart = max(left, x1 - lineWidth + 1)
                    if leftEnd >= rightStart - 1 {
                        fill(py, left, right)
                    } else {
                        fill(py, left, leftEnd)
                        fill(py, rightStart, right)
                    }
                }
            }
        }
    }
}

/// How `resized` maps source pixels to output pixels.
public enum ResizeMethod: Sendable {
    /// Each output pixel is the mean of the source area it covers, partial pixels weighted by
    /// their covered fraction (OpenCV's INTER_AREA). The right choice for downscaling; when
    /// enlarging an axis it falls back to bilinear on that axis.
    case area
    /// Linear interpolation between the two nearest source pixel centres on each axis
    /// (half-pixel centres, edges clamped; OpenCV's INTER_LINEAR).
    case bilinear
}

/// Per-axis resampling weights: output index `o` reads `taps` consecutive source samples
/// starting at `starts[o]`, weighted by `weights[o * taps ..< (o + 1) * taps]` (summing to 1;
/// unused taps have weight 0 and a start clamped so they stay inside the source).
struct ResamplingTaps {
    let taps: Int
    var starts: [Int]
    var weights: [Float]

    /// Taps for output indices `first ..< first + count` of an axis of `outputLength` samples
    /// covering `inputLength` source samples.
    init(method: ResizeMethod, inputLength: Int, outputLength: Int, first: Int, count: Int) {
        let scale = Double(inputLength) / Double(outputLength)
        if method == .area && scale > 1 {
            let taps = min(Int(scale.rounded(.up)) + 1, inputLength)
            var starts = [Int](repeating: 0, count: count)
            var weights = [Float](repeating: 0, count: count * taps)
            for o in 0..<count {
                let lower = Double(first + o) * scale, upper = Double(first + o + 1) * scale
                var start = Int(lower.rounded(.down))
                start = min(start, max(0, inputLength - taps))
                starts[o] = start
                for k in 0..<taps {
                    let i = start + k
                    guard i < inputLength else { break }
                    let overlap = min(upper, Double(i + 1)) - max(lower, Double(i))
                    if overlap > 0 { weights[o * taps + k] = Float(overlap / scale) }
                }
            }
            self.taps = taps
            self.starts = starts
            self.weights = weights
        } else if inputLength == 1 {
            self.taps = 1
            self.starts = [Int](repeating: 0, count: count)
            self.weights = [Float](repeating: 1, count: count)
        } else {
            var starts = [Int](repeating: 0, count: count)
            var weights = [Float](repeating: 0, count: count * 2)
            for o in 0..<count {
                let centre = (Double(first + o) + 0.5) * scale - 0.5
                let clamped = min(max(centre, 0), Double(inputLength - 1))
                var start = Int(clamped.rounded(.down))
                var fraction = clamped - Double(start)
                if start >= inputLength - 1 { start = max(0, inputLength - 2); fraction = clamped - Double(start) }
                starts[o] = start
                weights[o * 2] = Float(1 - fraction)
                weights[o * 2 + 1] = Float(fraction)
            }
            self.taps = 2
            self.starts = starts
            self.weights = weights
        }
    }
}

/// A sample type the resampler reads: 8-bit pixels, or floats (heatmaps).
protocol ResamplingSample {
    var resamplingValue: Float { get }
}

extension UInt8: ResamplingSample {
    @inline(__always) var resamplingValue: Float { Float(self) }
}

extension Float: ResamplingSample {
    @inline(__always) var resamplingValue: Float { self }
}

/// The separable resampling kernel behind every resize: reads an 8-bit gray source and
/// writes the output window `(x0, y0, outputWidth', outputHeight')` of the full
/// `outputWidth` × `outputHeight` resize as floats in [0, 255] — the window lets a centre crop
/// skip the pixels it would throw away. Float sources give float outputs in their own range.
enum Resampler {
    // source: (H, W) UInt8; output: (windowHeight, windowWidth) Float, row stride windowWidth.
    static func resize<Sample: ResamplingSample>(source: UnsafeBufferPointer<Sample>, width: Int, height: Int,
                       outputWidth: Int, outputHeight: Int,
                       windowX: Int, windowY: Int, windowWidth: Int, windowHeight: Int,
                       method: ResizeMethod, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(source.count >= width * height && output.count >= windowWidth * windowHeight)
        let horizontal = ResamplingTaps(method: method, inputLength: width, outputLength: outputWidth,
                                        first: windowX, count: windowWidth)
        let vertical = ResamplingTaps(method: method, inputLength: height, outputLength: outputHeight,
                                      first: windowY, count: windowHeight)
        // Vertical pass first: one contiguous, vectorizable row accumulation per tap.
        var row = [Float](repeating: 0, count: width)
        row.withUnsafeMutableBufferPointer { row in
            horizontal.starts.withUnsafeBufferPointer { hStarts in
            horizontal.weights.withUnsafeBufferPointer { hWeights in
            vertical.weights.withUnsafeBufferPointer { vWeights in
                let hTaps = horizontal.taps, vTaps = vertical.taps
                // Only the source columns the window's horizontal taps read.
                let columns = (hStarts.min() ?? 0)..<min(width, (hStarts.max() ?? 0) + hTaps)
                for oy in 0..<windowHeight {
                    for x in columns { row[x] = 0 }
                    let start = vertical.starts[oy]
                    for k in 0..<vTaps {
                        let weight = vWeights[oy * vTaps + k]
                        if weight == 0 { continue }
                        let sourceRow = source.baseAddress! + (start + k) * width
                        for x in columns { row[x] += weight * sourceRow[x].resamplingValue }
                    }
                    let outputRow = output.baseAddress! + oy * windowWidth
                    for ox in 0..<windowWidth {
                        let s = hStarts[ox]
                        var sum: Float = 0
                        for k in 0..<hTaps { sum += hWeights[ox * hTaps + k] * row[s + k] }
                        outputRow[ox] = sum
                    }
                }
            }
            }
            }
        }
    }
}

extension GrayscaleImage {
    /// The image resampled to `width` × `height` (rounded to the nearest 8-bit value).
    public func resized(width outputWidth: Int, height outputHeight: Int,
                        method: ResizeMethod = .area) -> GrayscaleImage {
        precondition(outputWidth > 0 && outputHeight > 0 && width > 0 && height > 0)
        var values = [Float](repeating: 0, count: outputWidth * outputHeight)
        pixels.withUnsafeBufferPointer { source in
            values.withUnsafeMutableBufferPointer { output in
                Resampler.resize(source: source, width: width, height: height,
                                 outputWidth: outputWidth, outputHeight: outputHeight,
                                 windowX: 0, windowY: 0, windowWidth: outputWidth, windowHeight: outputHeight,
                                 method: method, into: output)
            }
        }
        return GrayscaleImage(width: outputWidth, height: outputHeight,
                              pixels: values.map { UInt8(min(max($0.rounded(), 0), 255)) })
    }

    /// The centred `width` × `height` region (offsets `(size - crop) / 2` rounded down).
    /// Traps when the crop is larger than the image.
    public func centerCropped(width cropWidth: Int, height cropHeight: Int) -> GrayscaleImage {
        precondition(cropWidth <= width && cropHeight <= height, "crop \(cropWidth)x\(cropHeight) exceeds \(width)x\(height)")
        let x0 = (width - cropWidth) / 2, y0 = (height - cropHeight) / 2
        var output = [UInt8](repeating: 0, count: cropWidth * cropHeight)
        for y in 0..<cropHeight {
            for x in 0..<cropWidth { output[y * cropWidth + x] = pixels[(y0 + y) * width + x0 + x] }
        }
        return GrayscaleImage(width: cropWidth, height: cropHeight, pixels: output)
    }
}

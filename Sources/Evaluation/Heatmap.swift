import Foundation

/// A single-channel map of one class over an image, row-major: the CAM of the paper
/// (Σ_d w_{d,c}·a_{i,j,d} over the transition layer's S×S map) or any resized form of it.
public struct Heatmap: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// (height, width) row-major: `values[y * width + x]`.
    public let values: [Float]

    /// Wraps `values` as a width × height map.
    ///
    /// - Throws: `EvaluationError.invalidParameter` when a side is not positive,
    ///   `EvaluationError.lengthMismatch` when the count is not width × height,
    ///   `EvaluationError.nonFiniteScore` naming the first NaN or infinite value.
    public init(width: Int, height: Int, values: [Float]) throws {
        guard width > 0, height > 0 else {
            throw EvaluationError.invalidParameter("heatmap size must be positive, got \(width)×\(height)")
        }
        guard values.count == width * height else {
            throw EvaluationError.lengthMismatch(what: "heatmap \(width)×\(height)", expected: width * height, found: values.count)
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw EvaluationError.nonFiniteScore(what: "heatmap", index: bad, value: Double(values[bad]))
        }
        self.width = width
        self.height = height
        self.values = values
    }

    /// Values already checked by the caller.
    init(unchecked width: Int, height: Int, values: [Float]) {
        self.width = width
        self.height = height
        self.values = values
    }

    /// The value at column x, row y.
    public subscript(x: Int, y: Int) -> Float { values[y * width + x] }

    /// The map resized to `newWidth` × `newHeight` by bilinear interpolation with half-pixel
    /// centres: output pixel i samples the input at (i + 0.5)·(in/out) − 0.5, clamped to the
    /// edge. This is PyTorch's `interpolate(mode: "bilinear", align_corners: False)` and
    /// OpenCV's `INTER_LINEAR`, so an S×S CAM covers the whole image the network saw with each
    /// heatmap cell centred on its receptive field.
    ///
    /// - Precondition: newWidth > 0 and newHeight > 0.
    public func resizedBilinear(width newWidth: Int, height newHeight: Int) -> Heatmap {
        precondition(newWidth > 0 && newHeight > 0, "resize target must be positive")
        // Taps and weights per column and per row, computed once (1024 + 1024 instead of 1M).
        let columns = Self.taps(input: width, output: newWidth)
        let rows = Self.taps(input: height, output: newHeight)
        var output = [Float](repeating: 0, count: newWidth * newHeight)
        values.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                for y in 0..<newHeight {
                    let (y0, y1, wy) = rows[y]
                    let row0 = y0 * width
                    let row1 = y1 * width
                    for x in 0..<newWidth {
                        let (x0, x1, wx) = columns[x]
                        let top = input[row0 + x0] + (input[row0 + x1] - input[row0 + x0]) * wx
                        let bottom = input[row1 + x0] + (input[row1 + x1] - input[row1 + x0]) * wx
                        out[y * newWidth + x] = top + (bottom - top) * wy
                    }
                }
            }
        }
        return Heatmap(unchecked: newWidth, height: newHeight, values: output)
    }

    /// For each output index along one axis: the two input indices and the weight of the second,
    /// as PyTorch computes them (source = max(0, (i + 0.5)·scale − 0.5)).
    private static func taps(input: Int, output: Int) -> [(Int, Int, Float)] {
        let scale = Float(input) / Float(output)
        return (0..<output).map { i in
            let source = max(0, (Float(i) + 0.5) * scale - 0.5)
            let lower = min(Int(source), input - 1)
            let upper = min(lower + 1, input - 1)
            return (lower, upper, source - Float(lower))
        }
    }

    /// The map rescaled linearly so its minimum becomes 0 and its maximum 255 (the paper's
    /// "normalize to [0, 255]"). A constant map has no contrast to show and becomes all zeros.
    public func normalizedToByteRange() -> Heatmap {
        // One pass for both extremes, one to rescale, on raw buffers: this runs on every
        // 1024 × 1024 frame, also in debug builds (tests, CLI tests) where `map` is slow.
        let normalized = values.withUnsafeBufferPointer { input -> [Float] in
            var low = input[0], high = input[0]
            for i in 0..<input.count {
                if input[i] < low { low = input[i] }
                if input[i] > high { high = input[i] }
            }
            guard high > low else { return [Float](repeating: 0, count: input.count) }
            let scale = 255 / (high - low)
            return [Float](unsafeUninitializedCapacity: input.count) { output, initialized in
                for i in 0..<input.count { output[i] = (input[i] - low) * scale }
                initialized = input.count
            }
        }
        return Heatmap(unchecked: width, height: height, values: normalized)
    }

    /// (height, width) row-major: whether each value is at least `threshold`.
    public func mask(atLeast threshold: Float) -> [Bool] {
        values.withUnsafeBufferPointer { input in
            [Bool](unsafeUninitializedCapacity: input.count) { output, initialized in
                for i in 0..<input.count { output[i] = input[i] >= threshold }
                initialized = input.count
            }
        }
    }
}

internal import CDNNL
import Foundation

/// The weight gradient of a 3×3 convolution with stride 1, padding 1, dilation 1 and no groups,
/// computed with Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for
/// Convolutional Neural Networks", 2016) instead of oneDNN's direct backward-weights kernel.
///
/// Forward F(2×2, 3×3) computes each 2×2 output tile as Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A from the 4×4
/// input tile d around it. Differentiating it with respect to g gives, summed over tiles and
/// images, dW[o][i] = Gᵀ S[o][i] G with S_ξ[o][i] = Σ_t (A dY_t Aᵀ)_ξ[o] · (Bᵀ d_t B)_ξ[i] for each
/// of the 16 positions ξ of a 4×4 tile: two transforms (input and output gradient, one pass each),
/// 16 matrix products of (C_out × T) · (T × C_in) by `dnnl_sgemm`, where T counts the tiles of all
/// images, and a small output transform. The products do 16·T multiply-adds per weight pair against
/// the direct method's 9·4·T: 2.25× fewer.
///
/// Why: on this project's AVX2 host oneDNN 2.6's direct backward-weights kernel reaches 37–46
/// GFLOP/s on one thread for ResNet-50's 3×3 layers against 55–65 for its forward and 1×1 ones,
/// and `OverlappedBackward` runs every weight gradient on one thread. A C prototype of this
/// algorithm (same transforms and `dnnl_sgemm` products; not kept in the repository) ran 1.5–1.9×
/// faster than that kernel on those shapes (batch 16, one thread); in the whole ResNet-50 step it
/// is a few per cent (docs/benchmarks.md; `EngineOptions.winogradWeightGradient` off to compare).
/// Hand-written: oneDNN 2.6 implements Winograd only for AVX-512 and only forward/backward-data.
/// `ConvolutionKernel.weightGradientWork` takes this path for the convolutions `supports` accepts.
///
/// Numerically the transforms only add, subtract and halve, so the result differs from the direct
/// sum by float32 rounding of the reassociated sums (relative 1e-5 on those layers).
enum WinogradWeightGradient {
    /// Channels a convolution needs on each side to take this path. DenseNet-121's 3×3 layers
    /// (128 → 32) measured no faster with it (training step 2.44/2.55 s against 2.49/2.40 s,
    /// alternating runs) and 200 MB heavier: with 32 outputs the products are too thin to pay for
    /// the transforms.
    static let minimumChannels = 64

    /// Whether a convolution of this kind uses this path: 3×3 kernel, stride 1, padding 1 on
    /// every side, dilation 1, one group, at least `minimumChannels` inputs and outputs.
    static func supports(_ layer: ConvolutionParameters) -> Bool {
        layer.kernelSize == (3, 3) && layer.stride == (1, 1) && layer.padding == (1, 1) && layer.paddingEnd == (1, 1)
            && layer.dilation == (1, 1) && layer.groups == 1
            && layer.inputChannels >= minimumChannels && layer.outputChannels >= minimumChannels
    }

    /// The layout of `descriptor` when this path reads it: channel-blocked by 8 or 16 (nChw8c,
    /// nChw16c), else nil.
    static func layout(of descriptor: dnnl_memory_desc_t) -> ChannelBlockedLayout? {
        guard let layout = ChannelBlockedLayout(descriptor), layout.block % 8 == 0 else { return nil }
        return layout
    }

    /// Adds the weight gradient of the 3×3 / stride 1 / padding 1 convolution that mapped `input`
    /// to an output whose gradient is `gradientOutput` to `weightGradient`: dW += Σ_{n,h,w} dy ⊗ x
    /// over the 3×3 neighbourhoods, by F(2×2, 3×3).
    ///
    /// Runs the transforms on as many threads as the calling thread's oneDNN thread count and the
    /// matrix products through `dnnl_sgemm` (which uses the same count). Padding lanes of the
    /// blocked layouts are read but do not reach `weightGradient`.
    /// - Parameters:
    ///   - input: x, (N, C_in, H, W) in a layout `layout(of:)` accepts.
    ///   - gradientOutput: dy, (N, C_out, H, W) in such a layout.
    ///   - weightGradient: plain (C_out, C_in, 3, 3); accumulated into.
    ///   - biasGradient: plain (C_out) or nil; when given, db += Σ_{n,h,w} dy is accumulated too.
    /// - Throws: `TensorError.shapeMismatch` when the shapes do not fit each other or a layout is
    ///   not channel-blocked by 8 or 16; `TensorError.oneDNN` when `dnnl_sgemm` fails.
    // x: (N, C_in, H, W), dy: (N, C_out, H, W) -> dW: (C_out, C_in, 3, 3) +=, db: (C_out) +=
    static func accumulate(input: Tensor, gradientOutput: Tensor, into weightGradient: Tensor,
                                  biasGradient: Tensor? = nil) throws {
        guard let inputLayout = layout(of: input.descriptor), let outputLayout = layout(of: gradientOutput.descriptor) else {
            throw TensorError.shapeMismatch("Winograd weight gradient needs nChw8c or nChw16c tensors")
        }
        let (batch, height, width) = (input.shape[0], input.shape[2], input.shape[3])
        let (inputChannels, outputChannels) = (input.shape[1], gradientOutput.shape[1])
        guard gradientOutput.shape == [batch, outputChannels, height, width],
              weightGradient.shape == [outputChannels, inputChannels, 3, 3], weightGradient.isPlain,
              biasGradient.map({ $0.shape == [outputChannels] && $0.isPlain }) ?? true else {
            throw TensorError.shapeMismatch("Winograd weight gradient: input \(input.shape), output gradient \(gradientOutput.shape) and weight gradient \(weightGradient.shape) do not fit a 3×3 convolution with stride 1 and padding 1")
        }
        let tiles = Tiles(batch: batch, height: height, width: width)
        let inputWidth = inputLayout.channelBlocks * inputLayout.block
        let outputWidth = outputLayout.channelBlocks * outputLayout.block
        // V: (16, T, C_in padded), U: (16, T, C_out padded), S: (16, C_out padded, C_in padded).
        let transformedInput = try Tensor(descriptor: MemoryDescriptor.plain([16 * tiles.count * inputWidth]), zeroed: false)
        let transformedGradient = try Tensor(descriptor: MemoryDescriptor.plain([16 * tiles.count * outputWidth]), zeroed: false)
        let products = try Tensor(descriptor: MemoryDescriptor.plain([16 * outputWidth * inputWidth]), zeroed: false)
        // The sizes the transforms and products index up to (shapes and layouts checked above).
        let v = transformedInput.floats(count: 16 * tiles.count * inputWidth)
        let u = transformedGradient.floats(count: 16 * tiles.count * outputWidth)
        let s = products.floats(count: 16 * outputWidth * inputWidth)
        let x = UnsafePointer(input.floats(count: inputLayout.floatCount))
        let dy = UnsafePointer(gradientOutput.floats(count: outputLayout.floatCount))

        WinogradSupport.forEachIndex(batch) { image in
            transformInput(x, inputLayout, image: image, tiles: tiles, into: v, rowWidth: inputWidth)
            transformGradient(dy, outputLayout, image: image, tiles: tiles, into: u, rowWidth: outputWidth)
        }
        for position in 0 ..< 16 {
            // S_ξ (C_out × C_in) = U_ξᵀ · V_ξ, row-major, U_ξ: (T × C_out), V_ξ: (T × C_in).
            let status = dnnl_sgemm(CChar(UInt8(ascii: "T")), CChar(UInt8(ascii: "N")),
                                    dnnl_dim_t(outputWidth), dnnl_dim_t(inputWidth), dnnl_dim_t(tiles.count), 1,
                                    u + position * tiles.count * outputWidth, dnnl_dim_t(outputWidth),
                                    v + position * tiles.count * inputWidth, dnnl_dim_t(inputWidth), 0,
                                    s + position * outputWidth * inputWidth, dnnl_dim_t(inputWidth))
            guard status == dnnl_success else {
                throw TensorError.oneDNN(call: "dnnl_sgemm(\(outputWidth)×\(inputWidth)×\(tiles.count))", status: Int(status.rawValue))
            }
        }
        if let biasGradient {
            accumulateBiasGradient(dy, outputLayout, channels: outputChannels,
                                   into: biasGradient.floats(count: outputChannels))
        }
        let dw = weightGradient.floats(count: outputChannels * inputChannels * 9)
        WinogradSupport.forEachIndex(outputChannels) { output in
            accumulateFilterGradient(s, output: output, inputChannels: inputChannels, rowWidth: inputWidth,
                                     planeStride: outputWidth * inputWidth, into: dw)
        }
    }

    /// The 2×2 output tiles covering an H × W output, over all images: tile (n, i, j) covers
    /// output rows 2i, 2i+1 and columns 2j, 2j+1 (those past the edge count as zero gradient)
    /// and reads input rows 2i−1 … 2i+2 and columns 2j−1 … 2j+2 (those outside are the padding).
    struct Tiles {
        let batch, height, width, rows, columns: Int
        init(batch: Int, height: Int, width: Int) {
            (self.batch, self.height, self.width) = (batch, height, width)
            rows = (height + 1) / 2
            columns = (width + 1) / 2
        }
        var perImage: Int { rows * columns }
        var count: Int { batch * perImage }
    }

    // x: (N, C, H, W) blocked -> V: (16, T, C padded), V_ξ[t] = (Bᵀ d_t B)_ξ
    /// Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]], applied along the rows of
    /// each 4×4 input tile and then along its columns, eight channels at a time.
    static func transformInput(_ x: UnsafePointer<Float>, _ layout: ChannelBlockedLayout, image: Int, tiles: Tiles,
                               into v: UnsafeMutablePointer<Float>, rowWidth: Int) {
        let (height, width, block) = (tiles.height, tiles.width, layout.block)
        let planeStride = tiles.count * rowWidth
        for channelBlock in 0 ..< layout.channelBlocks {
            let base = x + layout.offset(image, channelBlock)
            for lane in stride(from: 0, to: block, by: 8) {
                for row in 0 ..< tiles.rows {
                    // Input rows 2·row − 1 … 2·row + 2, zero outside the image.
                    let top = 2 * row - 1
                    for column in 0 ..< tiles.columns {
                        let left = 2 * column - 1
                        // Each input row combined along its four columns, then the four rows combined.
                        let p0 = combineColumns(loadRow(base, top, left, height, width, block, lane))
                        let p1 = combineColumns(loadRow(base, top + 1, left, height, width, block, lane))
                        let p2 = combineColumns(loadRow(base, top + 2, left, height, width, block, lane))
                        let p3 = combineColumns(loadRow(base, top + 3, left, height, width, block, lane))
                        let tile = image * tiles.perImage + row * tiles.columns + column
                        let target = v + tile * rowWidth + channelBlock * block + lane
                        storeRow(subtract(p0, p2), target, planeStride, first: 0)
                        storeRow(add(p1, p2), target, planeStride, first: 4)
                        storeRow(subtract(p2, p1), target, planeStride, first: 8)
                        storeRow(subtract(p1, p3), target, planeStride, first: 12)
                    }
                }
            }
        }
    }

    // dy: (N, C, H, W) blocked -> U: (16, T, C padded), U_ξ[t] = (A dY_t Aᵀ)_ξ
    /// A = [[1, 0], [1, 1], [1, −1], [0, −1]] (the transpose of forward's output transform),
    /// applied to each 2×2 output-gradient tile on both sides, eight channels at a time.
    static func transformGradient(_ dy: UnsafePointer<Float>, _ layout: ChannelBlockedLayout, image: Int, tiles: Tiles,
                                  into u: UnsafeMutablePointer<Float>, rowWidth: Int) {
        let (height, width, block) = (tiles.height, tiles.width, layout.block)
        let planeStride = tiles.count * rowWidth
        let zero = SIMD8<Float>(repeating: 0)
        for channelBlock in 0 ..< layout.channelBlocks {
            let base = dy + layout.offset(image, channelBlock)
            for lane in stride(from: 0, to: block, by: 8) {
                for row in 0 ..< tiles.rows {
                    let h = 2 * row
                    let hasSecondRow = h + 1 < height
                    for column in 0 ..< tiles.columns {
                        let w = 2 * column
                        let hasSecondColumn = w + 1 < width
                        let y00 = WinogradSupport.load(base + (h * width + w) * block + lane)
                        let y01 = hasSecondColumn ? WinogradSupport.load(base + (h * width + w + 1) * block + lane) : zero
                        let y10 = hasSecondRow ? WinogradSupport.load(base + ((h + 1) * width + w) * block + lane) : zero
                        let y11 = hasSecondRow && hasSecondColumn ? WinogradSupport.load(base + ((h + 1) * width + w + 1) * block + lane) : zero
                        let tile = image * tiles.perImage + row * tiles.columns + column
                        let target = u + tile * rowWidth + channelBlock * block + lane
                        // Rows of A·dY (4×2), each then expanded along its columns the same way.
                        storeGradientRow(y00, y01, target, planeStride, first: 0)
                        storeGradientRow(y00 + y10, y01 + y11, target, planeStride, first: 4)
                        storeGradientRow(y00 - y10, y01 - y11, target, planeStride, first: 8)
                        storeGradientRow(-y10, -y11, target, planeStride, first: 12)
                    }
                }
            }
        }
    }

    // S: (16, C_out padded, C_in padded) -> dW[o]: (C_in, 3, 3) +=
    /// dW[o][i] += Gᵀ S[o][i] G with Gᵀ = [[1, ½, ½, 0], [0, ½, −½, 0], [0, ½, ½, 1]].
    static func accumulateFilterGradient(_ s: UnsafePointer<Float>, output: Int, inputChannels: Int, rowWidth: Int,
                                         planeStride: Int, into dw: UnsafeMutablePointer<Float>) {
        for input in 0 ..< inputChannels {
            let m = s + output * rowWidth + input
            // Row r of the 4×4 tile as four values, combined by Gᵀ into three rows, each then by G.
            func row(_ r: Int) -> SIMD4<Float> {
                SIMD4(m[(4 * r) * planeStride], m[(4 * r + 1) * planeStride], m[(4 * r + 2) * planeStride], m[(4 * r + 3) * planeStride])
            }
            let m0 = row(0), m1 = row(1), m2 = row(2), m3 = row(3)
            let t0 = m0 + 0.5 * (m1 + m2), t1 = 0.5 * (m1 - m2), t2 = 0.5 * (m1 + m2) + m3
            let target = dw + (output * inputChannels + input) * 9
            @inline(__always) func add(_ t: SIMD4<Float>, toRow r: Int) {
                target[r * 3] += t[0] + 0.5 * (t[1] + t[2])
                target[r * 3 + 1] += 0.5 * (t[1] - t[2])
                target[r * 3 + 2] += 0.5 * (t[1] + t[2]) + t[3]
            }
            add(t0, toRow: 0)
            add(t1, toRow: 1)
            add(t2, toRow: 2)
        }
    }

    // dy: (N, C, H, W) blocked -> db: (C) +=
    /// db[c] += Σ_{n,h,w} dy[n][c][h][w], eight channels at a time (sums in float, per channel
    /// block and image, then added).
    static func accumulateBiasGradient(_ dy: UnsafePointer<Float>, _ layout: ChannelBlockedLayout, channels: Int,
                                       into bias: UnsafeMutablePointer<Float>) {
        for channelBlock in 0 ..< layout.channelBlocks {
            for lane in stride(from: 0, to: layout.block, by: 8) {
                var total = SIMD8<Float>(repeating: 0)
                for image in 0 ..< layout.batch {
                    let base = dy + layout.offset(image, channelBlock) + lane
                    var sum = SIMD8<Float>(repeating: 0)
                    for position in 0 ..< layout.plane { sum += WinogradSupport.load(base + position * layout.block) }
                    total += sum
                }
                for index in 0 ..< 8 where channelBlock * layout.block + lane + index < channels {
                    bias[channelBlock * layout.block + lane + index] += total[index]
                }
            }
        }
    }

    typealias Row = (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)

    /// x[h][left … left + 3] for eight channels, zero outside the image.
    @inline(__always) private static func loadRow(_ base: UnsafePointer<Float>, _ h: Int, _ left: Int, _ height: Int,
                                                  _ width: Int, _ block: Int, _ lane: Int) -> Row {
        let zero = SIMD8<Float>(repeating: 0)
        guard h >= 0, h < height else { return (zero, zero, zero, zero) }
        let start = base + (h * width) * block + lane
        @inline(__always) func value(_ w: Int) -> SIMD8<Float> { w >= 0 && w < width ? WinogradSupport.load(start + w * block) : zero }
        return (value(left), value(left + 1), value(left + 2), value(left + 3))
    }

    /// (d0 − d2, d1 + d2, d2 − d1, d1 − d3): Bᵀ applied to four values.
    @inline(__always) private static func combineColumns(_ d: Row) -> Row {
        (d.0 - d.2, d.1 + d.2, d.2 - d.1, d.1 - d.3)
    }

    @inline(__always) private static func add(_ a: Row, _ b: Row) -> Row { (a.0 + b.0, a.1 + b.1, a.2 + b.2, a.3 + b.3) }
    @inline(__always) private static func subtract(_ a: Row, _ b: Row) -> Row { (a.0 - b.0, a.1 - b.1, a.2 - b.2, a.3 - b.3) }

    /// Stores the four values of a transformed row at tile positions first … first + 3.
    @inline(__always) private static func storeRow(_ row: Row, _ target: UnsafeMutablePointer<Float>, _ planeStride: Int, first: Int) {
        WinogradSupport.store(row.0, target + first * planeStride)
        WinogradSupport.store(row.1, target + (first + 1) * planeStride)
        WinogradSupport.store(row.2, target + (first + 2) * planeStride)
        WinogradSupport.store(row.3, target + (first + 3) * planeStride)
    }

    /// (a, a + b, a − b, −b): A applied to a row (a, b) of A·dY, stored at positions first … first + 3.
    @inline(__always) private static func storeGradientRow(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ target: UnsafeMutablePointer<Float>,
                                                           _ planeStride: Int, first: Int) {
        storeRow((a, a + b, a - b, -b), target, planeStride, first: first)
    }
}

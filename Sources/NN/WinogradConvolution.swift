import CDNNL
import Foundation
import Tensor

/// A 3×3 convolution with stride 1, padding 1, dilation 1 and no groups, computed with Winograd's
/// minimal filtering F(2×2, 3×3) (Lavin & Gray 2016): Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A for every 2×2
/// output tile — the input transform of `WinogradWeightGradient`, 16 matrix products of
/// (T × C_in) · (C_in × C_out) by `dnnl_sgemm` and an output transform that also adds the bias and
/// applies a ReLU. The same routine gives the input gradient of such a layer: it is the
/// convolution of the output gradient with the filters turned by 180° and inputs and outputs
/// swapped (`flipsFilters`).
///
/// Why it exists: the products do 2.25× fewer multiply-adds than the direct method, and oneDNN
/// 2.6 has no Winograd kernel for AVX2 (only for AVX-512). Hand-written.
///
/// **Off by default** (`isEnabled`, or `THORAX_WINOGRAD_CONVOLUTION=1`). Measured on this project's
/// 2-core AVX2 host, ResNet-50 training step at batch 16 (same binary, alternating runs): 2 threads
/// off 3.20/2.93/3.16/2.88/2.91 s, on 3.02/3.01/2.91/3.21/2.83 s — within the machine's noise;
/// 1 thread off 6.16/5.66 s, on 5.77/5.57 s. And while its results are closer to float64 than
/// PyTorch's float32 in median (`scripts/golden/check-full-size.py`, ResNet-50 eval-mode gradients:
/// ours-vs-float64 / PyTorch-float32-vs-float64 median 0.59 against 1.00 with the direct kernels),
/// the reassociated sums flip a few ReLUs the other way than PyTorch's contiguous float32 does
/// (two tensors then as far from float64 as PyTorch's channels_last float32, 6.2e-3): not worth it
/// for a gain that could not be measured. Its weight-gradient sibling `WinogradWeightGradient`
/// changes no activation and is on.
///
/// Numerically the transforms add, subtract and halve; the result differs from the direct sum by
/// float32 rounding of the reassociated sums (relative 1e-6–1e-5).
public enum WinogradConvolution {
    /// Process-wide switch; off unless the environment sets `THORAX_WINOGRAD_CONVOLUTION=1`.
    nonisolated(unsafe) public static var isEnabled: Bool =
        EngineSwitches.process.winogradConvolution

    /// Channels a layer needs on each side for its forward and input gradient to take this path.
    static let minimumChannels = 128

    /// Whether `layer`'s forward and input gradient use this path (`WinogradWeightGradient.supports`
    /// and at least `minimumChannels` inputs and outputs).
    static func supports(_ layer: Conv2d) -> Bool {
        WinogradWeightGradient.supports(layer)
            && layer.inputChannels >= minimumChannels && layer.outputChannels >= minimumChannels
    }

    /// How many convolutions (forward or input gradient) this path has computed in this process.
    public static var runs: Int { runCounter.value }
    private static let runCounter = WinogradSupport.RunCounter()

    /// Writes y = relu?(conv3×3(x, w) + b) into `output`, stride 1, padding 1.
    ///
    /// - Parameters:
    ///   - input: x, (N, K, H, W) channel-blocked by 8 or 16.
    ///   - filters: plain (M, K, 3, 3); with `flipsFilters`, plain (K, M, 3, 3) used as
    ///     w[m][k][a][b] = filters[k][m][2 − a][2 − b] (the input gradient of a convolution with
    ///     these filters, `input` then being its output gradient).
    ///   - bias: M values or nil.
    ///   - relu: whether max(0, ·) ends it.
    ///   - output: y, (N, M, H, W) channel-blocked by 8 or 16; every value is written (padding
    ///     lanes get zeros).
    /// - Throws: `TensorError.shapeMismatch` for shapes that do not fit or layouts that are not
    ///   channel-blocked; `TensorError.oneDNN` when `dnnl_sgemm` fails.
    // x: (N, K, H, W), w: (M, K, 3, 3) -> y: (N, M, H, W)
    public static func convolve(input: Tensor, filters: Tensor, flipsFilters: Bool = false, bias: Tensor? = nil,
                                relu: Bool = false, output: Tensor) throws {
        guard let inputLayout = WinogradWeightGradient.layout(of: input.descriptor),
              let outputLayout = WinogradWeightGradient.layout(of: output.descriptor) else {
            throw TensorError.shapeMismatch("Winograd convolution needs nChw8c or nChw16c tensors")
        }
        let (batch, height, width) = (input.shape[0], input.shape[2], input.shape[3])
        let (inputChannels, outputChannels) = (input.shape[1], output.shape[1])
        let filterShape = flipsFilters ? [inputChannels, outputChannels, 3, 3] : [outputChannels, inputChannels, 3, 3]
        guard output.shape == [batch, outputChannels, height, width], filters.shape == filterShape, filters.isPlain,
              bias.map({ $0.count == outputChannels && $0.isPlain }) ?? true else {
            throw TensorError.shapeMismatch("Winograd convolution: input \(input.shape), filters \(filters.shape) and output \(output.shape) do not fit a 3×3 convolution with stride 1 and padding 1")
        }
        let tiles = WinogradWeightGradient.Tiles(batch: batch, height: height, width: width)
        let inputWidth = inputLayout.channelBlocks * inputLayout.block
        let outputWidth = outputLayout.channelBlocks * outputLayout.block
        // V: (16, T, K padded), U: (16, K padded, M padded), products: (16, T, M padded).
        let transformedInput = try Tensor(descriptor: MemoryDescriptor.plain([16 * tiles.count * inputWidth]), zeroed: false)
        let transformedFilters = try Tensor(descriptor: MemoryDescriptor.plain([16 * inputWidth * outputWidth]), zeroed: true)
        let products = try Tensor(descriptor: MemoryDescriptor.plain([16 * tiles.count * outputWidth]), zeroed: false)
        // The sizes the transforms and products index up to (shapes and layouts checked above).
        let v = transformedInput.floats(count: 16 * tiles.count * inputWidth)
        let u = transformedFilters.floats(count: 16 * inputWidth * outputWidth)
        let m = products.floats(count: 16 * tiles.count * outputWidth)
        let x = UnsafePointer(input.floats(count: inputLayout.floatCount))
        let w = UnsafePointer(filters.floats(count: outputChannels * inputChannels * 9))
        WinogradSupport.forEachIndex(outputChannels) { outputChannel in
            transformFilters(w, outputChannel: outputChannel, inputChannels: inputChannels, outputChannels: outputChannels,
                             flipped: flipsFilters, into: u, rowWidth: outputWidth, planeStride: inputWidth * outputWidth)
        }
        WinogradSupport.forEachIndex(batch) { image in
            WinogradWeightGradient.transformInput(x, inputLayout, image: image, tiles: tiles, into: v, rowWidth: inputWidth)
        }
        for position in 0 ..< 16 {
            // M_ξ (T × M) = V_ξ (T × K) · U_ξ (K × M), row-major.
            let status = dnnl_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "N")),
                                    dnnl_dim_t(tiles.count), dnnl_dim_t(outputWidth), dnnl_dim_t(inputWidth), 1,
                                    v + position * tiles.count * inputWidth, dnnl_dim_t(inputWidth),
                                    u + position * inputWidth * outputWidth, dnnl_dim_t(outputWidth), 0,
                                    m + position * tiles.count * outputWidth, dnnl_dim_t(outputWidth))
            guard status == dnnl_success else {
                throw TensorError.oneDNN(call: "dnnl_sgemm(\(tiles.count)×\(outputWidth)×\(inputWidth))", status: Int(status.rawValue))
            }
        }
        let biasValues = bias.map { UnsafePointer($0.floats(count: outputChannels)) }
        let y = output.floats(count: outputLayout.floatCount)
        WinogradSupport.forEachIndex(batch) { image in
            transformOutput(m, image: image, tiles: tiles, rowWidth: outputWidth, bias: biasValues,
                            outputChannels: outputChannels, relu: relu, into: y, outputLayout)
        }
        runCounter.increment()
    }

    // w[m]: (K, 3, 3) -> U: (16, K padded, M padded), U_ξ[k][m] = (G w[m][k] Gᵀ)_ξ
    /// G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]; padding rows and columns of U stay zero.
    static func transformFilters(_ w: UnsafePointer<Float>, outputChannel: Int, inputChannels: Int, outputChannels: Int,
                                 flipped: Bool, into u: UnsafeMutablePointer<Float>, rowWidth: Int, planeStride: Int) {
        for inputChannel in 0 ..< inputChannels {
            // g[a][b] of the filter from input k to output m.
            @inline(__always) func g(_ a: Int, _ b: Int) -> Float {
                flipped ? w[(inputChannel * outputChannels + outputChannel) * 9 + (2 - a) * 3 + (2 - b)]
                    : w[(outputChannel * inputChannels + inputChannel) * 9 + a * 3 + b]
            }
            // Rows of G g (4×3), then each row times Gᵀ (3 → 4 values).
            let g0 = SIMD4<Float>(g(0, 0), g(0, 1), g(0, 2), 0)
            let g1 = SIMD4<Float>(g(1, 0), g(1, 1), g(1, 2), 0)
            let g2 = SIMD4<Float>(g(2, 0), g(2, 1), g(2, 2), 0)
            let rows = (g0, 0.5 * (g0 + g1 + g2), 0.5 * (g0 - g1 + g2), g2)
            let target = u + inputChannel * rowWidth + outputChannel
            @inline(__always) func storeRow(_ row: SIMD4<Float>, _ r: Int) {
                target[(4 * r) * planeStride] = row[0]
                target[(4 * r + 1) * planeStride] = 0.5 * (row[0] + row[1] + row[2])
                target[(4 * r + 2) * planeStride] = 0.5 * (row[0] - row[1] + row[2])
                target[(4 * r + 3) * planeStride] = row[2]
            }
            storeRow(rows.0, 0)
            storeRow(rows.1, 1)
            storeRow(rows.2, 2)
            storeRow(rows.3, 3)
        }
    }

    // M: (16, T, M padded) -> y: (N, M, H, W) blocked, y_t = Aᵀ M_t A (+ b) (ReLU)
    /// Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]], applied along the columns of each 4×4 tile and then
    /// along its rows, eight channels at a time; outputs past the edge of the image are dropped.
    static func transformOutput(_ m: UnsafePointer<Float>, image: Int, tiles: WinogradWeightGradient.Tiles, rowWidth: Int,
                                bias: UnsafePointer<Float>?, outputChannels: Int, relu: Bool,
                                into y: UnsafeMutablePointer<Float>, _ layout: ChannelBlockedLayout) {
        let (height, width, block) = (tiles.height, tiles.width, layout.block)
        let planeStride = tiles.count * rowWidth
        let zero = SIMD8<Float>(repeating: 0)
        for channelBlock in 0 ..< layout.channelBlocks {
            let base = y + layout.offset(image, channelBlock)
            for lane in stride(from: 0, to: block, by: 8) {
                var offset = zero
                if let bias {
                    for index in 0 ..< 8 where channelBlock * block + lane + index < outputChannels {
                        offset[index] = bias[channelBlock * block + lane + index]
                    }
                }
                for row in 0 ..< tiles.rows {
                    let h = 2 * row
                    for column in 0 ..< tiles.columns {
                        let w = 2 * column
                        let tile = image * tiles.perImage + row * tiles.columns + column
                        let source = m + tile * rowWidth + channelBlock * block + lane
                        // Row r of the tile combined along its columns: (m0 + m1 + m2, m1 − m2 − m3).
                        @inline(__always) func combined(_ r: Int) -> (SIMD8<Float>, SIMD8<Float>) {
                            let m0 = WinogradSupport.load(source + (4 * r) * planeStride), m1 = WinogradSupport.load(source + (4 * r + 1) * planeStride)
                            let m2 = WinogradSupport.load(source + (4 * r + 2) * planeStride), m3 = WinogradSupport.load(source + (4 * r + 3) * planeStride)
                            return (m0 + m1 + m2, m1 - m2 - m3)
                        }
                        let r0 = combined(0), r1 = combined(1), r2 = combined(2), r3 = combined(3)
                        var y00 = r0.0 + r1.0 + r2.0 + offset, y01 = r0.1 + r1.1 + r2.1 + offset
                        var y10 = r1.0 - r2.0 - r3.0 + offset, y11 = r1.1 - r2.1 - r3.1 + offset
                        if relu {
                            y00 = pointwiseMax(y00, zero)
                            y01 = pointwiseMax(y01, zero)
                            y10 = pointwiseMax(y10, zero)
                            y11 = pointwiseMax(y11, zero)
                        }
                        WinogradSupport.store(y00, base + (h * width + w) * block + lane)
                        if w + 1 < width { WinogradSupport.store(y01, base + (h * width + w + 1) * block + lane) }
                        if h + 1 < height {
                            WinogradSupport.store(y10, base + ((h + 1) * width + w) * block + lane)
                            if w + 1 < width { WinogradSupport.store(y11, base + ((h + 1) * width + w + 1) * block + lane) }
                        }
                    }
                }
            }
        }
    }


}

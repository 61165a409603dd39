import CDNNL
import NN
import Tensor
import XCTest

final class WinogradConvolutionTests: XCTestCase {
    // N, K (inputs), M (outputs), H, W, block
    let cases = [(2, 16, 8, 7, 9, 8), (3, 12, 20, 6, 5, 8), (1, 8, 24, 1, 1, 8), (2, 40, 16, 2, 3, 8), (2, 21, 19, 5, 4, 16)]

    /// Forward against the reference twin: nChw8c and nChw16c, padding lanes, odd and tiny planes,
    /// with and without bias and ReLU; the output's padding lanes are zero.
    func testForwardMatchesReferenceTwin() throws {
        var random = TestRandom(43)
        for (number, item) in cases.enumerated() {
            let (batch, inputChannels, outputChannels, height, width, block) = item
            for (withBias, relu) in [(false, false), (true, true)] {
                let reference = ReferenceConv2d(inputShape: [batch, inputChannels, height, width], outputChannels: outputChannels,
                                                kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1)
                let x = random.values(reference.inputShape.reduce(1, *))
                let weight = random.values(outputChannels * inputChannels * 9)
                let bias = withBias ? random.values(outputChannels) : nil
                var expected = reference.forward(input: x, weight: weight, bias: bias)
                if relu { expected = expected.map { max(0, $0) } }
                let layout = try MemoryDescriptor.channelBlocked(reference.outputShape, block: block)
                let output = try Tensor(descriptor: layout, zeroed: false)
                memset(output.data, 0xFF, output.byteCount)  // NaN everywhere: every value must be written
                try WinogradConvolution.convolve(
                    input: Tensor(shape: reference.inputShape, values: floats(x))
                        .reordered(to: MemoryDescriptor.channelBlocked(reference.inputShape, block: block)),
                    filters: Tensor(shape: [outputChannels, inputChannels, 3, 3], values: floats(weight)),
                    bias: try bias.map { try Tensor(shape: [outputChannels], values: floats($0)) }, relu: relu, output: output)
                let what = "case \(number) bias \(withBias) relu \(relu)"
                assertClose(try doubles(output), expected, tolerance: 1e-5, what)
                let raw = UnsafeBufferPointer(start: output.data.assumingMemoryBound(to: Float.self), count: output.byteCount / 4)
                let lanes = (outputChannels + block - 1) / block * block
                var paddingValues: [Float] = []
                for index in raw.indices where (index / (height * width * block)) % (lanes / block) == lanes / block - 1
                    && (lanes / block - 1) * block + index % block >= outputChannels {
                    paddingValues.append(raw[index])
                }
                XCTAssertTrue(paddingValues.allSatisfy { $0 == 0 }, "\(what): padding lanes zero")
            }
        }
    }

    /// With the filters turned and swapped it gives the input gradient of the convolution.
    func testFlippedFiltersGiveInputGradient() throws {
        var random = TestRandom(47)
        for (number, item) in cases.enumerated() {
            let (batch, inputChannels, outputChannels, height, width, block) = item
            let reference = ReferenceConv2d(inputShape: [batch, inputChannels, height, width], outputChannels: outputChannels,
                                            kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1)
            let x = random.values(reference.inputShape.reduce(1, *))
            let weight = random.values(outputChannels * inputChannels * 9)
            let dy = random.values(reference.outputShape.reduce(1, *))
            let dx = try Tensor(descriptor: MemoryDescriptor.channelBlocked(reference.inputShape, block: block), zeroed: false)
            try WinogradConvolution.convolve(
                input: Tensor(shape: reference.outputShape, values: floats(dy))
                    .reordered(to: MemoryDescriptor.channelBlocked(reference.outputShape, block: block)),
                filters: Tensor(shape: [outputChannels, inputChannels, 3, 3], values: floats(weight)), flipsFilters: true,
                output: dx)
            assertClose(try doubles(dx), reference.backward(input: x, weight: weight, gradientOutput: dy).input,
                        tolerance: 1e-5, "case \(number)")
        }
    }

    /// A layer with at least 128 inputs and outputs runs forward and input gradient through it,
    /// matching the reference twin (as with the path off); narrower layers do not take it.
    func testConv2dTakesWinogradPathWhenWide() throws {
        var random = TestRandom(53)
        let shape = [1, 128, 3, 5]
        let reference = ReferenceConv2d(inputShape: shape, outputChannels: 136, kernel: (3, 3), stride: (1, 1),
                                        padding: (1, 1), dilation: (1, 1), groups: 1)
        let x = random.values(shape.reduce(1, *))
        let dy = random.values(reference.outputShape.reduce(1, *))
        let enabled = WinogradConvolution.isEnabled
        defer { WinogradConvolution.isEnabled = enabled }
        for winograd in [true, false] {
            WinogradConvolution.isEnabled = winograd
            let layer = try Conv2d(inputChannels: 128, outputChannels: 136, kernelSize: 3, padding: 1, bias: true, seed: 9)
            let weight = try doubles(layer.weight.value), bias = try doubles(layer.bias!.value)
            let runs = WinogradConvolution.runs
            let y = try layer.forward(Tensor(shape: shape, values: floats(x)).reordered(to: MemoryDescriptor.channelBlocked(shape, block: 8)))
            assertClose(try doubles(y), reference.forward(input: x, weight: weight, bias: bias), tolerance: 1e-5, "winograd \(winograd) y")
            let dx = try layer.backward(Tensor(shape: reference.outputShape, values: floats(dy)))
            let expected = reference.backward(input: x, weight: weight, gradientOutput: dy)
            assertClose(try doubles(dx), expected.input, tolerance: 1e-5, "winograd \(winograd) dx")
            assertClose(try doubles(layer.weight.gradient), expected.weight, tolerance: 1e-5, "winograd \(winograd) dW")
            assertClose(try doubles(layer.bias!.gradient), expected.bias, tolerance: 1e-5, "winograd \(winograd) db")
            XCTAssertEqual(WinogradConvolution.runs - runs, winograd ? 2 : 0, "winograd \(winograd): forward and dx took it")
        }
        WinogradConvolution.isEnabled = true
        let narrow = try Conv2d(inputChannels: 64, outputChannels: 128, kernelSize: 3, padding: 1, bias: false, seed: 2)
        let narrowShape = [1, 64, 4, 4]
        let runs = WinogradConvolution.runs
        let y = try narrow.forward(Tensor(shape: narrowShape, values: floats(random.values(narrowShape.reduce(1, *))))
            .reordered(to: MemoryDescriptor.channelBlocked(narrowShape, block: 8)))
        _ = try narrow.backward(Tensor(shape: y.shape, values: floats(random.values(y.count))))
        XCTAssertEqual(WinogradConvolution.runs, runs, "64 inputs: direct kernel")
    }

    /// Shapes that do not fit and plain layouts are refused with an error.
    func testMismatchedShapesAndPlainLayoutsThrow() throws {
        let blocked = try Tensor(descriptor: MemoryDescriptor.channelBlocked([1, 8, 4, 4], block: 8))
        let otherSize = try Tensor(descriptor: MemoryDescriptor.channelBlocked([1, 8, 5, 4], block: 8))
        XCTAssertThrowsError(try WinogradConvolution.convolve(input: blocked, filters: Tensor(zeros: [8, 8, 3, 3]), output: otherSize))
        XCTAssertThrowsError(try WinogradConvolution.convolve(input: blocked, filters: Tensor(zeros: [8, 8, 1, 1]), output: blocked))
        XCTAssertThrowsError(try WinogradConvolution.convolve(input: Tensor(zeros: [1, 8, 4, 4]), filters: Tensor(zeros: [8, 8, 3, 3]),
                                                              output: blocked))
        XCTAssertThrowsError(try WinogradConvolution.convolve(input: blocked, filters: Tensor(zeros: [8, 8, 3, 3]),
                                                              bias: Tensor(zeros: [7]), output: blocked))
    }
}

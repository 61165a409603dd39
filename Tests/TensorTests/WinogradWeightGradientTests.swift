import CDNNL
import NN
import Tensor
import XCTest

final class WinogradWeightGradientTests: XCTestCase {
    /// The kernel against the reference twin's weight gradient: nChw8c and nChw16c, channel
    /// counts that leave padding lanes, odd and tiny planes (1×1, 2×3: tiles past the edge),
    /// accumulated onto a gradient that already holds values.
    func testKernelMatchesReferenceTwin() throws {
        var random = TestRandom(31)
        // N, C_in, C_out, H, W, block
        for (number, item) in [(2, 16, 8, 7, 9, 8), (3, 12, 20, 6, 5, 8), (1, 8, 24, 1, 1, 8), (2, 40, 16, 2, 3, 8),
                               (2, 21, 16, 5, 4, 16), (1, 16, 3, 8, 8, 16)].enumerated() {
            let (batch, inputChannels, outputChannels, height, width, block) = item
            let reference = ReferenceConv2d(inputShape: [batch, inputChannels, height, width], outputChannels: outputChannels,
                                            kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1)
            let x = random.values(reference.inputShape.reduce(1, *))
            let dy = random.values(reference.outputShape.reduce(1, *))
            let weightShape = [outputChannels, inputChannels, 3, 3]
            let initial = random.values(weightShape.reduce(1, *))
            let input = try Tensor(shape: reference.inputShape, values: floats(x))
                .reordered(to: MemoryDescriptor.channelBlocked(reference.inputShape, block: block))
            let gradientOutput = try Tensor(shape: reference.outputShape, values: floats(dy))
                .reordered(to: MemoryDescriptor.channelBlocked(reference.outputShape, block: block))
            let weightGradient = try Tensor(shape: weightShape, values: floats(initial))
            let initialBias = random.values(outputChannels)
            let biasGradient = try Tensor(shape: [outputChannels], values: floats(initialBias))
            try WinogradWeightGradient.accumulate(input: input, gradientOutput: gradientOutput, into: weightGradient,
                                                  biasGradient: number % 2 == 0 ? biasGradient : nil)
            let expected = reference.backward(input: x, weight: [Double](repeating: 0, count: initial.count), gradientOutput: dy)
            assertClose(try doubles(weightGradient), zip(initial, expected.weight).map(+), tolerance: 1e-5,
                        "case \(number) block \(block)")
            assertClose(try doubles(biasGradient), number % 2 == 0 ? zip(initialBias, expected.bias).map(+) : initialBias,
                        tolerance: 1e-5, "case \(number) block \(block) bias")
        }
    }

    /// A 3×3 / stride 1 / padding 1 convolution with a bias takes the Winograd path in backward,
    /// and its gradients (accumulated over two passes) equal the reference twin's, as they do with
    /// the path switched off (oneDNN's direct kernel).
    func testConv2dTakesWinogradPathAndMatchesReferenceTwin() throws {
        var random = TestRandom(37)
        let shape = [2, 64, 5, 7]
        let reference = ReferenceConv2d(inputShape: shape, outputChannels: 72, kernel: (3, 3), stride: (1, 1),
                                        padding: (1, 1), dilation: (1, 1), groups: 1)
        let x = random.values(shape.reduce(1, *))
        let dy = random.values(reference.outputShape.reduce(1, *))
        let enabled = WinogradWeightGradient.isEnabled
        defer { WinogradWeightGradient.isEnabled = enabled }
        for winograd in [true, false] {
            WinogradWeightGradient.isEnabled = winograd
            let layer = try Conv2d(inputChannels: 64, outputChannels: 72, kernelSize: 3, padding: 1, bias: true, seed: 5)
            let weight = try doubles(layer.weight.value)
            let runs = WinogradWeightGradient.runs
            for _ in 0 ..< 2 {
                _ = try layer.forward(Tensor(shape: shape, values: floats(x)).reordered(to: MemoryDescriptor.channelBlocked(shape, block: 8)))
                let dx = try layer.backward(Tensor(shape: reference.outputShape, values: floats(dy)))
                assertClose(try doubles(dx), reference.backward(input: x, weight: weight, gradientOutput: dy).input,
                            tolerance: 1e-5, "winograd \(winograd) dx")
            }
            XCTAssertEqual(WinogradWeightGradient.runs - runs, winograd ? 2 : 0, "winograd \(winograd): path taken")
            let expected = reference.backward(input: x, weight: weight, gradientOutput: dy).weight.map { 2 * $0 }
            assertClose(try doubles(layer.weight.gradient), expected, tolerance: 1e-5, "winograd \(winograd) dW")
            let expectedBias = reference.backward(input: x, weight: weight, gradientOutput: dy).bias.map { 2 * $0 }
            assertClose(try doubles(layer.bias!.gradient), expectedBias, tolerance: 1e-5, "winograd \(winograd) db")
        }
    }

    /// Convolutions the path does not cover keep oneDNN's kernel: stride 2, dilation 2, 1×1, fewer
    /// than 64 outputs.
    func testOtherConvolutionsKeepDirectKernel() throws {
        var random = TestRandom(41)
        let shape = [2, 64, 6, 6]
        for layer in [try Conv2d(inputChannels: 64, outputChannels: 64, kernelSize: 3, stride: 2, padding: 1, bias: false, seed: 1),
                      try Conv2d(inputChannels: 64, outputChannels: 64, kernelSize: 3, padding: 2, dilation: 2, bias: false, seed: 2),
                      try Conv2d(inputChannels: 64, outputChannels: 64, kernelSize: 1, bias: false, seed: 3),
                      try Conv2d(inputChannels: 64, outputChannels: 32, kernelSize: 3, padding: 1, bias: false, seed: 4)] {
            let runs = WinogradWeightGradient.runs
            let y = try layer.forward(Tensor(shape: shape, values: floats(random.values(shape.reduce(1, *))))
                .reordered(to: MemoryDescriptor.channelBlocked(shape, block: 8)))
            _ = try layer.backward(Tensor(shape: y.shape, values: floats(random.values(y.count))))
            XCTAssertEqual(WinogradWeightGradient.runs, runs, "stride \(layer.stride) dilation \(layer.dilation) kernel \(layer.kernelSize) outputs \(layer.outputChannels)")
        }
    }

    /// Shapes that do not fit each other and plain layouts are refused with an error.
    func testMismatchedShapesAndPlainLayoutsThrow() throws {
        let blocked = try Tensor(descriptor: MemoryDescriptor.channelBlocked([1, 8, 4, 4], block: 8))
        let otherSize = try Tensor(descriptor: MemoryDescriptor.channelBlocked([1, 8, 5, 4], block: 8))
        XCTAssertThrowsError(try WinogradWeightGradient.accumulate(input: blocked, gradientOutput: otherSize,
                                                                   into: Tensor(zeros: [8, 8, 3, 3])))
        XCTAssertThrowsError(try WinogradWeightGradient.accumulate(input: blocked, gradientOutput: blocked,
                                                                   into: Tensor(zeros: [8, 8, 1, 1])))
        XCTAssertThrowsError(try WinogradWeightGradient.accumulate(input: Tensor(zeros: [1, 8, 4, 4]), gradientOutput: blocked,
                                                                   into: Tensor(zeros: [8, 8, 3, 3])))
    }
}

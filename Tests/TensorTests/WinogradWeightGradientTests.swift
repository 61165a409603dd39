import EngineTestSupport
@testable import Tensor
import XCTest

/// The Winograd F(2×2, 3×3) weight-gradient kernel against the reference twin (the layer that
/// takes it: NNTests' Conv2dWinogradTests).
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
                .reordered(to: .channelBlocked(reference.inputShape, block: block))
            let gradientOutput = try Tensor(shape: reference.outputShape, values: floats(dy))
                .reordered(to: .channelBlocked(reference.outputShape, block: block))
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

    /// Shapes that do not fit each other and plain layouts are refused with an error.
    func testMismatchedShapesAndPlainLayoutsThrow() throws {
        let blocked = try Tensor(layout: .channelBlocked([1, 8, 4, 4], block: 8))
        let otherSize = try Tensor(layout: .channelBlocked([1, 8, 5, 4], block: 8))
        XCTAssertThrowsError(try WinogradWeightGradient.accumulate(input: blocked, gradientOutput: otherSize,
                                                                   into: Tensor(zeros: [8, 8, 3, 3])))
        XCTAssertThrowsError(try WinogradWeightGradient.accumulate(input: blocked, gradientOutput: blocked,
                                                                   into: Tensor(zeros: [8, 8, 1, 1])))
        XCTAssertThrowsError(try WinogradWeightGradient.accumulate(input: Tensor(zeros: [1, 8, 4, 4]), gradientOutput: blocked,
                                                                   into: Tensor(zeros: [8, 8, 3, 3])))
    }
}

import EngineTestSupport
@testable import NN
import XCTest

/// Which convolutions take the Winograd weight gradient (`EngineOptions.winogradWeightGradient`,
/// the kernel's own twin test is TensorTests' WinogradWeightGradientTests), and that the layer's
/// gradients equal the reference twin's on both paths.
final class Conv2dWinogradTests: XCTestCase {
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
        for winograd in [true, false] {
            let layer = try Conv2d(inputChannels: 64, outputChannels: 72, kernelSize: 3, padding: 1, bias: true, seed: 5)
            layer.setOptions(EngineOptions(winogradWeightGradient: winograd))
            let weight = try doubles(layer.weight.value)
            let runs = layer.kernel.winogradWeightGradientRuns
            for _ in 0 ..< 2 {
                _ = try layer.forward(Tensor(shape: shape, values: floats(x)).reordered(to: .channelBlocked(shape, block: 8)))
                let dx = try layer.backward(Tensor(shape: reference.outputShape, values: floats(dy)))
                assertClose(try doubles(dx), reference.backward(input: x, weight: weight, gradientOutput: dy).input,
                            tolerance: 1e-5, "winograd \(winograd) dx")
            }
            XCTAssertEqual(layer.kernel.winogradWeightGradientRuns - runs, winograd ? 2 : 0, "winograd \(winograd): path taken")
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
            let runs = layer.kernel.winogradWeightGradientRuns
            let y = try layer.forward(Tensor(shape: shape, values: floats(random.values(shape.reduce(1, *))))
                .reordered(to: .channelBlocked(shape, block: 8)))
            _ = try layer.backward(Tensor(shape: y.shape, values: floats(random.values(y.count))))
            XCTAssertEqual(layer.kernel.winogradWeightGradientRuns, runs, "stride \(layer.stride) dilation \(layer.dilation) kernel \(layer.kernelSize) outputs \(layer.outputChannels)")
        }
    }
}

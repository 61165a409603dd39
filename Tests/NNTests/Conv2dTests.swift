import EngineTestSupport
import NN
import XCTest

final class Conv2dTests: XCTestCase {
    struct Case {
        let batch, inputChannels, outputChannels, height, width, kernel, stride, padding, dilation, groups: Int
        let bias: Bool
    }

    // Odd sizes, strides, padding, dilation, grouped and depthwise, with and without bias.
    let cases = [
        Case(batch: 2, inputChannels: 3, outputChannels: 5, height: 7, width: 9, kernel: 3, stride: 1, padding: 1, dilation: 1, groups: 1, bias: true),
        Case(batch: 1, inputChannels: 4, outputChannels: 6, height: 11, width: 8, kernel: 3, stride: 2, padding: 0, dilation: 1, groups: 2, bias: false),
        Case(batch: 3, inputChannels: 8, outputChannels: 8, height: 9, width: 9, kernel: 3, stride: 1, padding: 2, dilation: 2, groups: 8, bias: true),
        // Dilated dense (ResNet's output stride 16) and dilated depthwise 5×5 over whole
        // channel blocks (EfficientNet-Lite0's).
        Case(batch: 2, inputChannels: 5, outputChannels: 7, height: 10, width: 11, kernel: 3, stride: 1, padding: 2, dilation: 2, groups: 1, bias: false),
        Case(batch: 1, inputChannels: 16, outputChannels: 16, height: 12, width: 12, kernel: 5, stride: 1, padding: 4, dilation: 2, groups: 16, bias: true),
        Case(batch: 2, inputChannels: 17, outputChannels: 32, height: 5, width: 6, kernel: 1, stride: 1, padding: 0, dilation: 1, groups: 1, bias: false),
        Case(batch: 2, inputChannels: 3, outputChannels: 16, height: 13, width: 13, kernel: 7, stride: 2, padding: 3, dilation: 1, groups: 1, bias: false),
    ]

    func testForwardAndBackwardMatchReferenceTwin() throws {
        var random = TestRandom(7)
        for (number, item) in cases.enumerated() {
            for fused in [false, true] {
                let layer = try Conv2d(inputChannels: item.inputChannels, outputChannels: item.outputChannels, kernelSize: item.kernel,
                                       stride: item.stride, padding: item.padding, dilation: item.dilation, groups: item.groups,
                                       bias: item.bias, fusesReLU: fused, seed: UInt64(number))
                let reference = ReferenceConv2d(inputShape: [item.batch, item.inputChannels, item.height, item.width],
                                                outputChannels: item.outputChannels, kernel: (item.kernel, item.kernel),
                                                stride: (item.stride, item.stride), padding: (item.padding, item.padding),
                                                dilation: (item.dilation, item.dilation), groups: item.groups)
                let x = random.values(reference.inputShape.reduce(1, *))
                let weight = try doubles(layer.weight.value)
                let bias = try layer.bias.map { try doubles($0.value) }
                var expected = reference.forward(input: x, weight: weight, bias: bias)
                if fused { expected = expected.map { max(0, $0) } }
                let y = try layer.forward(Tensor(shape: reference.inputShape, values: floats(x)))
                XCTAssertEqual(y.shape, reference.outputShape)
                assertClose(try doubles(y), expected, tolerance: 1e-5, "case \(number) fused \(fused) forward")

                var dy = random.values(expected.count)
                if fused { dy = zip(dy, expected).map { $1 > 0 ? $0 : 0 } }
                // Three forward+backward passes: gradients of parameters accumulate.
                for _ in 0..<2 {
                    _ = try layer.backward(Tensor(shape: reference.outputShape, values: floats(dy)))
                    _ = try layer.forward(Tensor(shape: reference.inputShape, values: floats(x)))
                }
                let dx = try layer.backward(Tensor(shape: reference.outputShape, values: floats(dy)))
                // Backward releases what forward kept: a second one needs a new forward.
                XCTAssertThrowsError(try layer.backward(Tensor(shape: reference.outputShape, values: floats(dy))))
                let expectedGradients = reference.backward(input: x, weight: weight, gradientOutput: dy)
                assertClose(try doubles(dx), expectedGradients.input, tolerance: 1e-5, "case \(number) fused \(fused) dx")
                assertClose(try doubles(layer.weight.gradient), expectedGradients.weight.map { 3 * $0 }, tolerance: 1e-5,
                            "case \(number) fused \(fused) dW")
                if let layerBias = layer.bias {
                    assertClose(try doubles(layerBias.gradient), expectedGradients.bias.map { 3 * $0 }, tolerance: 1e-5,
                                "case \(number) fused \(fused) db")
                }
            }
        }
    }

    func testAsymmetricPaddingMatchesReferenceTwin() throws {
        var random = TestRandom(13)
        // TensorFlow "same" with stride 2: k3 pads (0, 1), k5 pads (1, 2); depthwise as in EfficientNet.
        for (kernel, start, end, channels, size) in [(3, 0, 1, 8, 9), (5, 1, 2, 8, 10), (3, 0, 1, 3, 7)] {
            let groups = channels == 3 ? 1 : channels
            let layer = try Conv2d(inputChannels: channels, outputChannels: channels, kernelSize: (kernel, kernel), stride: (2, 2),
                                   padding: (start, start), paddingEnd: (end, end), groups: groups, bias: false, seed: 3)
            let reference = ReferenceConv2d(inputShape: [2, channels, size, size], outputChannels: channels, kernel: (kernel, kernel),
                                            stride: (2, 2), padding: (start, start), dilation: (1, 1), groups: groups,
                                            paddingEnd: (end, end))
            let x = random.values(reference.inputShape.reduce(1, *))
            let weight = try doubles(layer.weight.value)
            let y = try layer.forward(Tensor(shape: reference.inputShape, values: floats(x)))
            XCTAssertEqual(y.shape, reference.outputShape)
            assertClose(try doubles(y), reference.forward(input: x, weight: weight, bias: nil), tolerance: 1e-5, "k\(kernel) forward")
            let dy = random.values(reference.outputShape.reduce(1, *))
            let dx = try layer.backward(Tensor(shape: reference.outputShape, values: floats(dy)))
            let expected = reference.backward(input: x, weight: weight, gradientOutput: dy)
            assertClose(try doubles(dx), expected.input, tolerance: 1e-5, "k\(kernel) dx")
            assertClose(try doubles(layer.weight.gradient), expected.weight, tolerance: 1e-5, "k\(kernel) dW")
            assertGradientMatchesFiniteDifferences(input: x, weights: dy, analytic: expected.input, "k\(kernel) reference dx") {
                reference.forward(input: $0, weight: weight, bias: nil)
            }
        }
    }

    func testReferenceGradientsMatchFiniteDifferences() {
        var random = TestRandom(11)
        for item in cases.prefix(4) {
            let reference = ReferenceConv2d(inputShape: [item.batch, item.inputChannels, item.height, item.width],
                                            outputChannels: item.outputChannels, kernel: (item.kernel, item.kernel),
                                            stride: (item.stride, item.stride), padding: (item.padding, item.padding),
                                            dilation: (item.dilation, item.dilation), groups: item.groups)
            let x = random.values(reference.inputShape.reduce(1, *))
            let weightCount = item.outputChannels * item.inputChannels / item.groups * item.kernel * item.kernel
            let weight = random.values(weightCount)
            let bias = random.values(item.outputChannels)
            let dy = random.values(reference.outputShape.reduce(1, *))
            let gradients = reference.backward(input: x, weight: weight, gradientOutput: dy)
            assertGradientMatchesFiniteDifferences(input: x, weights: dy, analytic: gradients.input, "conv dx") {
                reference.forward(input: $0, weight: weight, bias: bias)
            }
            assertGradientMatchesFiniteDifferences(input: weight, weights: dy, analytic: gradients.weight, "conv dW") {
                reference.forward(input: x, weight: $0, bias: bias)
            }
            assertGradientMatchesFiniteDifferences(input: bias, weights: dy, analytic: gradients.bias, "conv db") {
                reference.forward(input: x, weight: weight, bias: $0)
            }
        }
    }

    func testBlockedInputFromPreviousLayerIsAccepted() throws {
        // The second convolution gets the first's blocked output directly (no reorder at the edge).
        let first = try Conv2d(inputChannels: 3, outputChannels: 16, kernelSize: 3, padding: 1, seed: 1)
        let second = try Conv2d(inputChannels: 16, outputChannels: 16, kernelSize: 3, padding: 1, seed: 2)
        var random = TestRandom(3)
        let x = try Tensor(shape: [2, 3, 8, 8], values: floats(random.values(2 * 3 * 64)))
        let middle = try first.forward(x)
        let y = try second.forward(middle)
        let plainMiddle = try Tensor(shape: middle.shape, values: middle.toArray())
        let second2 = try Conv2d(inputChannels: 16, outputChannels: 16, kernelSize: 3, padding: 1, seed: 2)
        assertClose(try doubles(y), try doubles(second2.forward(plainMiddle)), tolerance: 1e-6, "blocked vs plain input")
    }

    func testWrongShapesAreErrors() throws {
        let layer = try Conv2d(inputChannels: 3, outputChannels: 4, kernelSize: 3)
        XCTAssertThrowsError(try layer.forward(Tensor(zeros: [1, 2, 8, 8])))
        XCTAssertThrowsError(try layer.forward(Tensor(zeros: [3, 8, 8])))
        XCTAssertThrowsError(try layer.forward(Tensor(zeros: [1, 3, 2, 2])))
        XCTAssertThrowsError(try Conv2d(inputChannels: 3, outputChannels: 4, kernelSize: 5, stride: 2).forward(Tensor(zeros: [1, 3, 3, 3])))
        XCTAssertThrowsError(try layer.backward(Tensor(zeros: [1, 4, 6, 6])))  // before forward
        _ = try layer.forward(Tensor(zeros: [1, 3, 8, 8]))
        XCTAssertThrowsError(try layer.backward(Tensor(zeros: [1, 4, 5, 6])))
        XCTAssertThrowsError(try Conv2d(inputChannels: 3, outputChannels: 4, kernelSize: 3, groups: 2))
        XCTAssertThrowsError(try Conv2d(inputChannels: 3, outputChannels: 4, kernelSize: 0))
    }

    func testParameterNamesAreTorchvisions() throws {
        let layer = try Conv2d(inputChannels: 3, outputChannels: 4, kernelSize: 3)
        XCTAssertEqual(layer.namedParameters().map(\.name), ["weight", "bias"])
        XCTAssertEqual(layer.weight.shape, [4, 3, 3, 3])
    }
}

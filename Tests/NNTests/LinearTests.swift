import EngineTestSupport
import NN
import XCTest

final class LinearTests: XCTestCase {
    func testForwardAndBackwardMatchReferenceTwin() throws {
        var random = TestRandom(61)
        for (batch, inputs, outputs, bias) in [(2, 7, 3, true), (16, 2048, 14, true), (1, 5, 9, false), (3, 33, 17, true)] {
            let layer = try Linear(inputFeatures: inputs, outputFeatures: outputs, bias: bias, seed: 4)
            let reference = ReferenceLinear(batch: batch, inputFeatures: inputs, outputFeatures: outputs)
            let x = random.values(batch * inputs)
            let weight = try doubles(layer.weight.value), b = try layer.bias.map { try doubles($0.value) }
            let y = try layer.forward(Tensor(shape: [batch, inputs], values: floats(x)))
            assertClose(try doubles(y), reference.forward(x, weight: weight, bias: b), tolerance: 1e-5, "linear forward")
            let dy = random.values(batch * outputs)
            let dx = try layer.backward(Tensor(shape: [batch, outputs], values: floats(dy)))
            let expected = reference.backward(x, weight: weight, gradientOutput: dy)
            assertClose(try doubles(dx), expected.input, tolerance: 1e-5, "linear dx")
            assertClose(try doubles(layer.weight.gradient), expected.weight, tolerance: 1e-5, "linear dW")
            if let layerBias = layer.bias { assertClose(try doubles(layerBias.gradient), expected.bias, tolerance: 1e-5, "linear db") }
        }
    }

    func testReferenceGradientsMatchFiniteDifferences() {
        var random = TestRandom(62)
        let reference = ReferenceLinear(batch: 3, inputFeatures: 5, outputFeatures: 4)
        let x = random.values(15), weight = random.values(20), bias = random.values(4), dy = random.values(12)
        let gradients = reference.backward(x, weight: weight, gradientOutput: dy)
        assertGradientMatchesFiniteDifferences(input: x, weights: dy, analytic: gradients.input, "linear dx") {
            reference.forward($0, weight: weight, bias: bias)
        }
        assertGradientMatchesFiniteDifferences(input: weight, weights: dy, analytic: gradients.weight, "linear dW") {
            reference.forward(x, weight: $0, bias: bias)
        }
        assertGradientMatchesFiniteDifferences(input: bias, weights: dy, analytic: gradients.bias, "linear db") {
            reference.forward(x, weight: weight, bias: $0)
        }
    }

    func testFrozenParametersGetNoGradient() throws {
        let layer = try Linear(inputFeatures: 4, outputFeatures: 2)
        layer.weight.isTrainable = false
        _ = try layer.forward(Tensor(shape: [1, 4], values: [1, 2, 3, 4]))
        _ = try layer.backward(Tensor(shape: [1, 2], values: [1, 1]))
        XCTAssertEqual(try layer.weight.gradient.toArray(), [Float](repeating: 0, count: 8))
        XCTAssertEqual(try layer.bias!.gradient.toArray(), [1, 1])
    }

    func testWrongShapesAreErrors() throws {
        let layer = try Linear(inputFeatures: 4, outputFeatures: 2)
        XCTAssertThrowsError(try layer.forward(Tensor(zeros: [2, 5])))
        XCTAssertThrowsError(try layer.forward(Tensor(zeros: [2, 4, 1, 1])))
        XCTAssertThrowsError(try Linear(inputFeatures: 0, outputFeatures: 2))
        _ = try layer.forward(Tensor(zeros: [2, 4]))
        XCTAssertThrowsError(try layer.backward(Tensor(zeros: [2, 3])))
        XCTAssertEqual(layer.namedParameters().map(\.name), ["weight", "bias"])
    }
}

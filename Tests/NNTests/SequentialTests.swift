import EngineTestSupport
import NN
import XCTest

final class SequentialTests: XCTestCase {
    func testConvBatchNormReLUChainMatchesReferencesAndNamesParameters() throws {
        var random = TestRandom(41)
        let conv = try Conv2d(inputChannels: 3, outputChannels: 8, kernelSize: 3, stride: 2, padding: 1, bias: false, seed: 5)
        let norm = try BatchNorm2d(featureCount: 8)
        let model = Sequential([conv, norm, ReLU()])
        XCTAssertEqual(model.namedParameters().map(\.name), ["0.weight", "1.weight", "1.bias"])
        XCTAssertEqual(model.namedBuffers().map(\.name), ["1.running_mean", "1.running_var"])

        let shape = [2, 3, 9, 9]
        let x = random.values(shape.reduce(1, *))
        let y = try model.forward(Tensor(shape: shape, values: floats(x)))
        let referenceConv = ReferenceConv2d(inputShape: shape, outputChannels: 8, kernel: (3, 3), stride: (2, 2),
                                            padding: (1, 1), dilation: (1, 1), groups: 1)
        let weight = try doubles(conv.weight.value)
        let convolved = referenceConv.forward(input: x, weight: weight, bias: nil)
        let referenceNorm = ReferenceBatchNorm2d(shape: referenceConv.outputShape, epsilon: 1e-5)
        let ones = [Double](repeating: 1, count: 8), zeros = [Double](repeating: 0, count: 8)
        let normalized = referenceNorm.forward(convolved, gamma: ones, beta: zeros)
        assertClose(try doubles(y), normalized.map { max(0, $0) }, tolerance: 1e-4, "chain forward")

        let dy = random.values(normalized.count)
        let dx = try model.backward(Tensor(shape: y.shape, values: floats(dy)))
        let dNormalized = zip(normalized, dy).map { $0 > 0 ? $1 : 0 }
        let dConvolved = referenceNorm.backward(convolved, gamma: ones, gradientOutput: dNormalized).input
        let expected = referenceConv.backward(input: x, weight: weight, gradientOutput: dConvolved)
        assertClose(try doubles(dx), expected.input, tolerance: 1e-4, "chain dx")
        assertClose(try doubles(conv.weight.gradient), expected.weight, tolerance: 1e-4, "chain dW")

        model.setTraining(false)
        XCTAssertFalse(norm.isTraining)
        model.zeroGradients()
        XCTAssertEqual(try conv.weight.gradient.toArray().allSatisfy { $0 == 0 }, true)
    }
}

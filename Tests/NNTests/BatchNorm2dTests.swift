import NN
import XCTest

final class BatchNorm2dTests: XCTestCase {
    let shapes = [[2, 3, 5, 7], [4, 16, 3, 3], [1, 5, 4, 3], [3, 20, 1, 1]]

    func testTrainingMatchesReferenceTwinAndUpdatesRunningStatistics() throws {
        var random = TestRandom(21)
        for shape in shapes {
            let channels = shape[1]
            let layer = try BatchNorm2d(featureCount: channels)
            let gamma = random.values(channels, 0.5, 1.5), beta = random.values(channels)
            try layer.weight.setValues(floats(gamma))
            try layer.bias.setValues(floats(beta))
            let reference = ReferenceBatchNorm2d(shape: shape, epsilon: 1e-5)
            let x = random.values(shape.reduce(1, *), -2, 3)
            let y = try layer.forward(Tensor(shape: shape, values: floats(x)))
            assertClose(try doubles(y), reference.forward(x, gamma: gamma, beta: beta), tolerance: 1e-5, "\(shape) forward")

            // PyTorch: running = 0.9·running + 0.1·batch, unbiased variance, from mean 0 and variance 1.
            let (mean, variance) = reference.statistics(x)
            let n = Double(shape[0] * shape[2] * shape[3])
            assertClose(try doubles(layer.runningMean), mean.map { 0.1 * $0 }, tolerance: 1e-5, "\(shape) running mean")
            assertClose(try doubles(layer.runningVariance), variance.map { 0.9 + 0.1 * $0 * n / (n - 1) }, tolerance: 1e-5,
                        "\(shape) running variance")

            let dy = random.values(x.count)
            let dx = try layer.backward(Tensor(shape: shape, values: floats(dy)))
            let expected = reference.backward(x, gamma: gamma, gradientOutput: dy)
            assertClose(try doubles(dx), expected.input, tolerance: 1e-4, "\(shape) dx")
            assertClose(try doubles(layer.weight.gradient), expected.gamma, tolerance: 1e-4, "\(shape) dγ")
            assertClose(try doubles(layer.bias.gradient), expected.beta, tolerance: 1e-4, "\(shape) dβ")
        }
    }

    func testFusedReLUMatchesBatchNormThenReLU() throws {
        var random = TestRandom(24)
        GradientRecording.inEvaluation = true  // backward in evaluation mode too
        defer { GradientRecording.inEvaluation = false }
        for training in [true, false] {
            let shape = [2, 16, 5, 3]
            let layer = try BatchNorm2d(featureCount: 16, fusesReLU: true)
            layer.setTraining(training)
            let gamma = random.values(16, 0.5, 1.5), beta = random.values(16)
            try layer.weight.setValues(floats(gamma))
            try layer.bias.setValues(floats(beta))
            let reference = ReferenceBatchNorm2d(shape: shape, epsilon: 1e-5)
            let x = random.values(shape.reduce(1, *), -2, 2)
            let ones = [Double](repeating: 1, count: 16), zeros = [Double](repeating: 0, count: 16)
            let frozenMean: [Double]? = training ? nil : zeros, frozenVariance: [Double]? = training ? nil : ones
            let normalized = reference.forward(x, gamma: gamma, beta: beta, mean: frozenMean, variance: frozenVariance)
            let y = try layer.forward(Tensor(shape: shape, values: floats(x)).reordered(to: MemoryDescriptor.channelBlocked(shape)))
            assertClose(try doubles(y), normalized.map { max(0, $0) }, tolerance: 1e-5, "fused training \(training) forward")
            let dy = random.values(x.count)
            let dx = try layer.backward(Tensor(shape: shape, values: floats(dy)))
            let masked = zip(normalized, dy).map { $0 > 0 ? $1 : 0 }
            let expected = reference.backward(x, gamma: gamma, gradientOutput: masked, frozenMean: frozenMean, frozenVariance: frozenVariance)
            assertClose(try doubles(dx), expected.input, tolerance: 1e-4, "fused training \(training) dx")
            assertClose(try doubles(layer.weight.gradient), expected.gamma, tolerance: 1e-4, "fused training \(training) dγ")
            assertClose(try doubles(layer.bias.gradient), expected.beta, tolerance: 1e-4, "fused training \(training) dβ")
        }
    }

    func testEvaluationUsesRunningStatistics() throws {
        var random = TestRandom(22)
        let shape = [2, 16, 5, 3]
        let layer = try BatchNorm2d(featureCount: 16)
        let runningMean = random.values(16), runningVariance = random.values(16, 0.5, 2)
        try runningMean.enumerated().forEach { index, value in
            try layer.runningMean.withUnsafeMutableBufferPointer { $0[index] = Float(value) }
        }
        try layer.runningVariance.withUnsafeMutableBufferPointer { buffer in
            for index in 0..<16 { buffer[index] = Float(runningVariance[index]) }
        }
        let gamma = random.values(16), beta = random.values(16)
        try layer.weight.setValues(floats(gamma))
        try layer.bias.setValues(floats(beta))
        layer.setTraining(false)
        GradientRecording.inEvaluation = true  // backward in evaluation mode below
        defer { GradientRecording.inEvaluation = false }
        let reference = ReferenceBatchNorm2d(shape: shape, epsilon: 1e-5)
        let x = random.values(shape.reduce(1, *))
        let y = try layer.forward(Tensor(shape: shape, values: floats(x)))
        assertClose(try doubles(y), reference.forward(x, gamma: gamma, beta: beta, mean: runningMean, variance: runningVariance),
                    tolerance: 1e-5, "eval forward")
        XCTAssertEqual(try doubles(layer.runningMean), floats(runningMean).map(Double.init), "eval must not update running mean")
        let dy = random.values(x.count)
        let dx = try layer.backward(Tensor(shape: shape, values: floats(dy)))
        let expected = reference.backward(x, gamma: gamma, gradientOutput: dy, frozenMean: runningMean, frozenVariance: runningVariance)
        assertClose(try doubles(dx), expected.input, tolerance: 1e-5, "eval dx")
        assertClose(try doubles(layer.weight.gradient), expected.gamma, tolerance: 1e-4, "eval dγ")
    }

    func testReferenceGradientsMatchFiniteDifferences() {
        var random = TestRandom(23)
        let shape = [2, 3, 3, 2]
        let reference = ReferenceBatchNorm2d(shape: shape, epsilon: 1e-5)
        let x = random.values(36), gamma = random.values(3), beta = random.values(3), dy = random.values(36)
        let gradients = reference.backward(x, gamma: gamma, gradientOutput: dy)
        assertGradientMatchesFiniteDifferences(input: x, weights: dy, analytic: gradients.input, tolerance: 1e-5, "bn dx") {
            reference.forward($0, gamma: gamma, beta: beta)
        }
        assertGradientMatchesFiniteDifferences(input: gamma, weights: dy, analytic: gradients.gamma, "bn dγ") {
            reference.forward(x, gamma: $0, beta: beta)
        }
        assertGradientMatchesFiniteDifferences(input: beta, weights: dy, analytic: gradients.beta, "bn dβ") {
            reference.forward(x, gamma: gamma, beta: $0)
        }
    }

    func testBuffersAndErrors() throws {
        let layer = try BatchNorm2d(featureCount: 4)
        XCTAssertEqual(layer.namedParameters().map(\.name), ["weight", "bias"])
        XCTAssertEqual(layer.namedBuffers().map(\.name), ["running_mean", "running_var"])
        XCTAssertThrowsError(try layer.forward(Tensor(zeros: [2, 3, 4, 4])))
        XCTAssertThrowsError(try layer.forward(Tensor(zeros: [1, 4, 1, 1])))  // one value per channel in training
        XCTAssertThrowsError(try layer.backward(Tensor(zeros: [2, 4, 4, 4])))
    }
}

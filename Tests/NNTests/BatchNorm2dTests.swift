import EngineTestSupport
import NN
import XCTest

final class BatchNorm2dTests: XCTestCase {
    let shapes = [[2, 3, 5, 7], [4, 16, 3, 3], [1, 5, 4, 3], [3, 20, 1, 1]]

    /// The options the layers of a test get (double sums unless a test says otherwise).
    private var options = EngineOptions(batchNormAccumulatesInDouble: true)

    /// Both training paths: double sums (BatchNormKernels) and oneDNN's float32 primitive.
    func testTrainingMatchesReferenceTwinAndUpdatesRunningStatistics() throws {
        for double in [true, false] {
            options.batchNormAccumulatesInDouble = double
            try checkTrainingAgainstReferenceTwin()
        }
    }

    func checkTrainingAgainstReferenceTwin() throws {
        var random = TestRandom(21)
        for shape in shapes {
            let channels = shape[1]
            let layer = try BatchNorm2d(featureCount: channels)
            layer.setOptions(options)
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
        options.recordsGradientsInEvaluation = true  // backward in evaluation mode too
        for (training, double) in [(true, true), (true, false), (false, true)] {
            options.batchNormAccumulatesInDouble = double
            let shape = [2, 16, 5, 3]
            let layer = try BatchNorm2d(featureCount: 16, fusesReLU: true)
            layer.setOptions(options)
            layer.setTraining(training)
            let gamma = random.values(16, 0.5, 1.5), beta = random.values(16)
            try layer.weight.setValues(floats(gamma))
            try layer.bias.setValues(floats(beta))
            let reference = ReferenceBatchNorm2d(shape: shape, epsilon: 1e-5)
            let x = random.values(shape.reduce(1, *), -2, 2)
            let ones = [Double](repeating: 1, count: 16), zeros = [Double](repeating: 0, count: 16)
            let frozenMean: [Double]? = training ? nil : zeros, frozenVariance: [Double]? = training ? nil : ones
            let normalized = reference.forward(x, gamma: gamma, beta: beta, mean: frozenMean, variance: frozenVariance)
            let y = try layer.forward(Tensor(shape: shape, values: floats(x)).reordered(to: Tensor.Layout.channelBlocked(shape)))
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

    /// The double-sum kernels on every layout they read (plain; nChw8c and nChw16c — the SIMD path,
    /// eight lanes at a time), channel counts that leave padding lanes, odd planes, with and without the fused
    /// ReLU, on the calling thread's oneDNN threads: forward, running statistics, dx, dγ, dβ
    /// against the reference twin; padding lanes of dx stay zero.
    func testDoubleSumKernelsMatchReferenceTwinOnBlockedLayouts() throws {
        var random = TestRandom(25)
        for (number, (shape, block)) in [([2, 13, 5, 7], 8), ([3, 8, 1, 3], 8), ([2, 20, 3, 3], 8), ([1, 21, 4, 5], 16),
                                          ([2, 16, 3, 5], 16), ([2, 40, 2, 3], 16), ([2, 5, 3, 2], 1)].enumerated() {
            for relu in [false, true] {
                let channels = shape[1]
                let layer = try BatchNorm2d(featureCount: channels, fusesReLU: relu)
                layer.setOptions(options)
                let gamma = random.values(channels, -1.5, 1.5), beta = random.values(channels)
                try layer.weight.setValues(floats(gamma))
                try layer.bias.setValues(floats(beta))
                let reference = ReferenceBatchNorm2d(shape: shape, epsilon: 1e-5)
                let x = random.values(shape.reduce(1, *), -2, 3)
                let layout = block == 1 ? try Tensor.Layout.plain(shape) : try Tensor.Layout.channelBlocked(shape, block: block)
                let what = "case \(number) block \(block) relu \(relu)"
                let normalized = reference.forward(x, gamma: gamma, beta: beta)
                let y = try layer.forward(Tensor(shape: shape, values: floats(x)).reordered(to: layout))
                XCTAssertTrue(y.layout == layout, "\(what): output layout")
                assertClose(try doubles(y), relu ? normalized.map { max(0, $0) } : normalized, tolerance: 1e-5, "\(what) forward")
                let (mean, variance) = reference.statistics(x)
                let n = Double(shape[0] * shape[2] * shape[3])
                assertClose(try doubles(layer.runningMean), mean.map { 0.1 * $0 }, tolerance: 1e-6, "\(what) running mean")
                assertClose(try doubles(layer.runningVariance), variance.map { 0.9 + 0.1 * $0 * n / (n - 1) }, tolerance: 1e-6,
                            "\(what) running variance")
                let dy = random.values(x.count)
                let dx = try layer.backward(Tensor(shape: shape, values: floats(dy)).reordered(to: layout))
                XCTAssertTrue(dx.layout == layout, "\(what): dx layout")
                let masked = relu ? zip(normalized, dy).map { $0 > 0 ? $1 : 0 } : dy
                let expected = reference.backward(x, gamma: gamma, gradientOutput: masked)
                assertClose(try doubles(dx), expected.input, tolerance: 1e-5, "\(what) dx")
                assertClose(try doubles(layer.weight.gradient), expected.gamma, tolerance: 1e-5, "\(what) dγ")
                assertClose(try doubles(layer.bias.gradient), expected.beta, tolerance: 1e-5, "\(what) dβ")
                if channels % max(block, 1) != 0 {
                    let raw = UnsafeBufferPointer(start: dx.data.assumingMemoryBound(to: Float.self), count: dx.byteCount / 4)
                    let plane = shape[2] * shape[3], blocks = (channels + block - 1) / block
                    var paddingNonZero = 0
                    for image in 0 ..< shape[0] {
                        for position in 0 ..< plane {
                            for lane in channels % block ..< block {
                                let index = ((image * blocks + blocks - 1) * plane + position) * block + lane
                                if raw[index] != 0 { paddingNonZero += 1 }
                            }
                        }
                    }
                    XCTAssertEqual(paddingNonZero, 0, "\(what): padding lanes of dx")
                }
            }
        }
    }

    /// Values far from zero with a small spread over many positions (mean/σ ≈ 300, 8192 values per
    /// channel): the sums behind the statistics and dγ cancel badly in float32. The double sums keep
    /// dγ, dx and the variance within 1e-5 of the float64 reference.
    func testDoubleSumsStayExactWhenSumsCancel() throws {
        var random = TestRandom(26)
        let shape = [8, 8, 32, 32]
        let layer = try BatchNorm2d(featureCount: 8, fusesReLU: true)
        layer.setOptions(options)
        let gamma = random.values(8, 0.5, 1.5), beta = random.values(8, -0.2, 0.2)
        try layer.weight.setValues(floats(gamma))
        try layer.bias.setValues(floats(beta))
        // Values representable in float32 exactly, so the reference sees the same input.
        let x = floats(random.values(shape.reduce(1, *), -1, 1).map { 300 + $0 }).map(Double.init)
        let dy = random.values(x.count).map { $0 + 0.3 }
        let reference = ReferenceBatchNorm2d(shape: shape, epsilon: 1e-5)
        let normalized = reference.forward(x, gamma: gamma, beta: beta)
        let blocked = try Tensor.Layout.channelBlocked(shape, block: 8)
        _ = try layer.forward(Tensor(shape: shape, values: floats(x)).reordered(to: blocked))
        let dx = try layer.backward(Tensor(shape: shape, values: floats(dy)).reordered(to: blocked))
        let expected = reference.backward(x, gamma: gamma, gradientOutput: zip(normalized, dy).map { $0 > 0 ? $1 : 0 })
        let n = Double(shape[0] * shape[2] * shape[3])
        assertClose(try doubles(layer.runningVariance), reference.statistics(x).variance.map { 0.9 + 0.1 * $0 * n / (n - 1) },
                    tolerance: 1e-6, "running variance")
        assertClose(try doubles(layer.weight.gradient), expected.gamma, tolerance: 1e-5, "dγ")
        assertClose(try doubles(dx), expected.input, tolerance: 1e-5, "dx")
    }

    func testEvaluationUsesRunningStatistics() throws {
        var random = TestRandom(22)
        let shape = [2, 16, 5, 3]
        let layer = try BatchNorm2d(featureCount: 16)
        layer.setOptions(options)
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
        options.recordsGradientsInEvaluation = true  // backward in evaluation mode below
        layer.setOptions(options)
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
        layer.setOptions(options)
        XCTAssertEqual(layer.namedParameters().map(\.name), ["weight", "bias"])
        XCTAssertEqual(layer.namedBuffers().map(\.name), ["running_mean", "running_var"])
        XCTAssertThrowsError(try layer.forward(Tensor(zeros: [2, 3, 4, 4])))
        XCTAssertThrowsError(try layer.forward(Tensor(zeros: [1, 4, 1, 1])))  // one value per channel in training
        XCTAssertThrowsError(try layer.backward(Tensor(zeros: [2, 4, 4, 4])))
    }
}

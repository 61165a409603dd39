import NN
import XCTest

/// The fused evaluation path — `Conv2d.forward(_:fusing:)` (conv + batch norm + residual + ReLU in
/// one primitive) and the unrecorded evaluation mode of `GradientRecording` — against the
/// reference twins and against the same layers run one by one.
final class ConvolutionFusionTests: XCTestCase {
    override func tearDown() {
        GradientRecording.inEvaluation = false
        Conv2d.fusesBatchNormInInference = false
    }

    struct Case {
        let batch, inputChannels, outputChannels, height, width, kernel, stride, padding, groups: Int
        let bias, residual, relu: Bool
    }

    // Odd sizes, strides, padding, groups; with and without bias, residual and ReLU.
    let cases = [
        Case(batch: 2, inputChannels: 3, outputChannels: 5, height: 7, width: 9, kernel: 3, stride: 1, padding: 1, groups: 1,
             bias: true, residual: true, relu: true),
        Case(batch: 1, inputChannels: 4, outputChannels: 6, height: 11, width: 8, kernel: 3, stride: 2, padding: 0, groups: 2,
             bias: false, residual: false, relu: true),
        Case(batch: 2, inputChannels: 17, outputChannels: 32, height: 5, width: 6, kernel: 1, stride: 1, padding: 0, groups: 1,
             bias: false, residual: true, relu: false),
        Case(batch: 3, inputChannels: 16, outputChannels: 24, height: 9, width: 7, kernel: 1, stride: 2, padding: 0, groups: 1,
             bias: true, residual: true, relu: true),
        Case(batch: 2, inputChannels: 3, outputChannels: 16, height: 13, width: 13, kernel: 7, stride: 2, padding: 3, groups: 1,
             bias: false, residual: false, relu: false),
    ]

    /// Random running statistics, γ and β for a batch norm; returns them in double.
    func randomize(_ norm: BatchNorm2d, _ random: inout TestRandom) throws -> (mean: [Double], variance: [Double], gamma: [Double], beta: [Double]) {
        let count = norm.featureCount
        let mean = random.values(count), variance = random.values(count, 0.2, 3)
        let gamma = random.values(count, -2, 2), beta = random.values(count)
        try norm.runningMean.withUnsafeMutableBufferPointer { for i in 0 ..< count { $0[i] = Float(mean[i]) } }
        try norm.runningVariance.withUnsafeMutableBufferPointer { for i in 0 ..< count { $0[i] = Float(variance[i]) } }
        try norm.weight.setValues(floats(gamma))
        try norm.bias.setValues(floats(beta))
        return (mean, variance, gamma, beta)
    }

    func testFusedConvolutionMatchesReferenceTwinAndUnfusedLayers() throws {
        var random = TestRandom(31)
        for (number, item) in cases.enumerated() {
            let conv = try Conv2d(inputChannels: item.inputChannels, outputChannels: item.outputChannels, kernelSize: item.kernel,
                                  stride: item.stride, padding: item.padding, groups: item.groups, bias: item.bias,
                                  seed: UInt64(number))
            let norm = try BatchNorm2d(featureCount: item.outputChannels)
            conv.setTraining(false)
            norm.setTraining(false)
            let statistics = try randomize(norm, &random)
            let referenceConv = ReferenceConv2d(inputShape: [item.batch, item.inputChannels, item.height, item.width],
                                                outputChannels: item.outputChannels, kernel: (item.kernel, item.kernel),
                                                stride: (item.stride, item.stride), padding: (item.padding, item.padding),
                                                dilation: (1, 1), groups: item.groups)
            let referenceNorm = ReferenceBatchNorm2d(shape: referenceConv.outputShape, epsilon: 1e-5)
            let x = random.values(referenceConv.inputShape.reduce(1, *))
            let residualValues = random.values(referenceConv.outputShape.reduce(1, *))
            var expected = referenceNorm.forward(
                referenceConv.forward(input: x, weight: try doubles(conv.weight.value), bias: try conv.bias.map { try doubles($0.value) }),
                gamma: statistics.gamma, beta: statistics.beta, mean: statistics.mean, variance: statistics.variance)
            if item.residual { expected = zip(expected, residualValues).map(+) }
            if item.relu { expected = expected.map { max(0, $0) } }

            // The residual in a blocked layout (as a previous convolution leaves it) and in plain order.
            for blocked in [false, true] where item.residual || !blocked {
                var residual = try Tensor(shape: referenceConv.outputShape, values: floats(residualValues))
                if blocked { residual = try residual.reordered(to: MemoryDescriptor.channelBlocked(residual.shape, block: 8)) }
                let input = try Tensor(shape: referenceConv.inputShape, values: floats(x))
                let fused = try conv.forward(input, fusing: ConvolutionFusion(batchNorm: norm, residual: item.residual ? residual : nil,
                                                                              relu: item.relu))
                XCTAssertEqual(fused.shape, referenceConv.outputShape)
                assertClose(try doubles(fused), expected, tolerance: 1e-5, "case \(number) blocked residual \(blocked): fused vs twin")

                // The same layers one by one (recorded evaluation: conv, then batch norm, add, ReLU).
                GradientRecording.inEvaluation = true
                var unfused = try norm.forward(conv.forward(input)).toArray().map(Double.init)
                GradientRecording.inEvaluation = false
                if item.residual { unfused = zip(unfused, residualValues).map(+) }
                if item.relu { unfused = unfused.map { max(0, $0) } }
                assertClose(try doubles(fused), unfused, tolerance: 1e-5, "case \(number): fused vs unfused layers")
            }
        }
    }

    /// Nothing derived from the parameters is cached: in-place changes of the weights (an
    /// optimizer step), of γ/β (a loaded checkpoint) and of the running statistics show in the very
    /// next fused forward.
    func testFusedConvolutionSeesEveryParameterChange() throws {
        var random = TestRandom(32)
        let conv = try Conv2d(inputChannels: 8, outputChannels: 16, kernelSize: 3, padding: 1, bias: true, seed: 3)
        let norm = try BatchNorm2d(featureCount: 16, fusesReLU: true)
        let model = Sequential([conv, norm])
        model.setTraining(false)
        Conv2d.fusesBatchNormInInference = true  // Sequential runs the pair fused
        let shape = [2, 8, 6, 5]
        let input = try Tensor(shape: shape, values: floats(random.values(shape.reduce(1, *))))
        func expected() throws -> [Double] {
            GradientRecording.inEvaluation = true
            defer { GradientRecording.inEvaluation = false }
            return try doubles(norm.forward(conv.forward(input)))
        }
        _ = try randomize(norm, &random)
        assertClose(try doubles(model.forward(input)), try expected(), tolerance: 1e-5, "before changes")

        // An SGD step changes the weights in place.
        try conv.weight.gradient.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] = Float(i % 7) - 3 } }
        try SGD(parameters: [conv.weight, conv.bias!], learningRate: 0.05).step()
        let afterStep = try doubles(model.forward(input))
        assertClose(afterStep, try expected(), tolerance: 1e-5, "after an optimizer step")
        // New γ, β and running statistics (as a checkpoint load writes them).
        _ = try randomize(norm, &random)
        let afterLoad = try doubles(model.forward(input))
        assertClose(afterLoad, try expected(), tolerance: 1e-5, "after new batch norm values")
        XCTAssertGreaterThan(zip(afterStep, afterLoad).map { abs($0 - $1) }.max() ?? 0, 1e-2, "the change must matter")
        // Running statistics updated by a training-mode forward.
        model.setTraining(true)
        _ = try model.forward(input)
        model.setTraining(false)
        assertClose(try doubles(model.forward(input)), try expected(), tolerance: 1e-5, "after a training forward")
    }

    /// Unrecorded evaluation keeps nothing for backward and says so; recorded evaluation does.
    func testBackwardAfterUnrecordedEvaluationThrowsAndRecordedWorks() throws {
        let conv = try Conv2d(inputChannels: 3, outputChannels: 8, kernelSize: 3, padding: 1, seed: 1)
        let norm = try BatchNorm2d(featureCount: 8, fusesReLU: true)
        let pool = try MaxPool2d(kernelSize: 2)
        let model = Sequential([conv, norm, pool])
        let input = try Tensor(shape: [1, 3, 6, 6], repeating: 0.5)
        // Train first, so stale training inputs exist that a wrong backward could use.
        _ = try model.forward(input)
        _ = try model.backward(Tensor(shape: [1, 8, 3, 3], repeating: 1))
        model.setTraining(false)
        let y = try model.forward(input)
        XCTAssertThrowsError(try model.backward(Tensor(shape: y.shape, repeating: 1))) { error in
            guard case LayerError.backwardNotRecorded = error else { return XCTFail("unexpected error \(error)") }
        }
        XCTAssertThrowsError(try pool.backward(Tensor(shape: y.shape, repeating: 1)))
        XCTAssertThrowsError(try norm.backward(Tensor(shape: [1, 8, 6, 6], repeating: 1)))
        XCTAssertThrowsError(try conv.backward(Tensor(shape: [1, 8, 6, 6], repeating: 1)))
        GradientRecording.inEvaluation = true
        let recorded = try model.forward(input)
        assertClose(try doubles(recorded), try doubles(y), tolerance: 1e-5, "recorded vs unrecorded evaluation")
        XCTAssertNoThrow(try model.backward(Tensor(shape: y.shape, repeating: 1)))
    }

    /// Unrecorded outputs are new tensors: earlier results stay valid after later calls.
    func testUnrecordedOutputsAreNotOverwritten() throws {
        let layer = ReLU()
        layer.setTraining(false)
        let first = try layer.forward(Tensor(shape: [4], values: [-1, 2, -3, 4]))
        let second = try layer.forward(Tensor(shape: [4], values: [5, -6, 7, -8]))
        XCTAssertEqual(try first.toArray(), [0, 2, 0, 4])
        XCTAssertEqual(try second.toArray(), [5, 0, 7, 0])
    }

    func testFusionRejectsMismatchedWidthsAndResidualShapes() throws {
        let conv = try Conv2d(inputChannels: 3, outputChannels: 8, kernelSize: 1, seed: 1)
        conv.setTraining(false)
        let input = try Tensor(shape: [1, 3, 4, 4], repeating: 1)
        XCTAssertThrowsError(try conv.forward(input, fusing: ConvolutionFusion(batchNorm: BatchNorm2d(featureCount: 4))))
        XCTAssertThrowsError(try conv.forward(input, fusing: ConvolutionFusion(residual: Tensor(zeros: [1, 8, 2, 2]))))
    }
}

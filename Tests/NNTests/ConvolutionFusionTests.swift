import EngineTestSupport
import NN
import XCTest

/// The folded evaluation path — `Conv2d.forward(_:fusing:)` (conv with its batch norm folded into
/// weights and bias, + residual sum + activation in one primitive), the `foldBatchNorm()` pass and
/// unrecorded evaluation (`EngineOptions.recordsGradientsInEvaluation` off) — against the
/// reference twins and against the same layers run one by one (conv → batch norm → add →
/// activation, the unfused path).
final class ConvolutionFusionTests: XCTestCase {
    static let recording = EngineOptions(recordsGradientsInEvaluation: true)

    struct Case {
        let batch, inputChannels, outputChannels, height, width, kernel, stride, padding, groups: Int
        var paddingEnd: Int? = nil
        let bias, residual: Bool
        let activation: ConvolutionFusion.Activation
    }

    // Odd sizes, strides, padding (also asymmetric), groups (also depthwise); with and without
    // bias, residual and activation.
    let cases = [
        Case(batch: 2, inputChannels: 3, outputChannels: 5, height: 7, width: 9, kernel: 3, stride: 1, padding: 1, groups: 1,
             bias: true, residual: true, activation: .relu),
        Case(batch: 1, inputChannels: 4, outputChannels: 6, height: 11, width: 8, kernel: 3, stride: 2, padding: 0, groups: 2,
             bias: false, residual: false, activation: .relu),
        Case(batch: 2, inputChannels: 17, outputChannels: 32, height: 5, width: 6, kernel: 1, stride: 1, padding: 0, groups: 1,
             bias: false, residual: true, activation: .none),
        Case(batch: 3, inputChannels: 16, outputChannels: 24, height: 9, width: 7, kernel: 1, stride: 2, padding: 0, groups: 1,
             bias: true, residual: true, activation: .relu),
        Case(batch: 2, inputChannels: 3, outputChannels: 16, height: 13, width: 13, kernel: 7, stride: 2, padding: 3, groups: 1,
             bias: false, residual: false, activation: .none),
        Case(batch: 2, inputChannels: 24, outputChannels: 24, height: 10, width: 9, kernel: 5, stride: 2, padding: 1, groups: 24,
             paddingEnd: 2, bias: false, residual: false, activation: .relu6),
        Case(batch: 1, inputChannels: 12, outputChannels: 18, height: 6, width: 5, kernel: 3, stride: 1, padding: 1, groups: 3,
             bias: true, residual: true, activation: .relu6),
        Case(batch: 2, inputChannels: 8, outputChannels: 8, height: 5, width: 7, kernel: 3, stride: 1, padding: 1, groups: 8,
             bias: true, residual: true, activation: .none),
    ]

    /// Random running statistics (means far from 0, so the bias fold matters), γ (also negative)
    /// and β for a batch norm; returns them in double.
    func randomize(_ norm: BatchNorm2d, _ random: inout TestRandom) throws -> (mean: [Double], variance: [Double], gamma: [Double], beta: [Double]) {
        let count = norm.featureCount
        let mean = random.values(count, -3, 3), variance = random.values(count, 0.2, 3)
        let gamma = random.values(count, -2, 2), beta = random.values(count)
        try norm.runningMean.withUnsafeMutableBufferPointer { for i in 0 ..< count { $0[i] = Float(mean[i]) } }
        try norm.runningVariance.withUnsafeMutableBufferPointer { for i in 0 ..< count { $0[i] = Float(variance[i]) } }
        try norm.weight.setValues(floats(gamma))
        try norm.bias.setValues(floats(beta))
        return (mean, variance, gamma, beta)
    }

    static func activate(_ value: Double, _ activation: ConvolutionFusion.Activation) -> Double {
        switch activation {
        case .none: return value
        case .relu: return max(0, value)
        case .relu6: return min(max(0, value), 6)
        }
    }

    func testFoldedConvolutionMatchesReferenceTwinAndUnfusedLayers() throws {
        var random = TestRandom(31)
        for (number, item) in cases.enumerated() {
            let conv = try Conv2d(inputChannels: item.inputChannels, outputChannels: item.outputChannels,
                                  kernelSize: (item.kernel, item.kernel), stride: (item.stride, item.stride),
                                  padding: (item.padding, item.padding), paddingEnd: item.paddingEnd.map { ($0, $0) },
                                  groups: item.groups, bias: item.bias, seed: UInt64(number))
            let norm = try BatchNorm2d(featureCount: item.outputChannels)
            conv.setTraining(false)
            norm.setTraining(false)
            let statistics = try randomize(norm, &random)
            var referenceConv = ReferenceConv2d(inputShape: [item.batch, item.inputChannels, item.height, item.width],
                                                outputChannels: item.outputChannels, kernel: (item.kernel, item.kernel),
                                                stride: (item.stride, item.stride), padding: (item.padding, item.padding),
                                                dilation: (1, 1), groups: item.groups)
            referenceConv.paddingEnd = item.paddingEnd.map { ($0, $0) }
            let referenceNorm = ReferenceBatchNorm2d(shape: referenceConv.outputShape, epsilon: 1e-5)
            let x = random.values(referenceConv.inputShape.reduce(1, *))
            let residualValues = random.values(referenceConv.outputShape.reduce(1, *), -3, 3)
            var expected = referenceNorm.forward(
                referenceConv.forward(input: x, weight: try doubles(conv.weight.value), bias: try conv.bias.map { try doubles($0.value) }),
                gamma: statistics.gamma, beta: statistics.beta, mean: statistics.mean, variance: statistics.variance)
            if item.residual { expected = zip(expected, residualValues).map(+) }
            expected = expected.map { Self.activate($0, item.activation) }
            // The batch norm must matter: without it the result is far off.
            let unnormalized = referenceConv.forward(input: x, weight: try doubles(conv.weight.value),
                                                     bias: try conv.bias.map { try doubles($0.value) })
            XCTAssertGreaterThan(zip(unnormalized, expected).map { abs($0 - $1) }.max() ?? 0, 0.1, "case \(number): test data")

            for blockedInput in [false, true] {
                var input = try Tensor(shape: referenceConv.inputShape, values: floats(x))
                if blockedInput { input = try input.reordered(to: Tensor.Layout.channelBlocked(input.shape, block: 8)) }
                // The residual in plain order and in a blocked layout (as a previous convolution leaves it).
                for blockedResidual in [false, true] where item.residual || !blockedResidual {
                    var residual = try Tensor(shape: referenceConv.outputShape, values: floats(residualValues))
                    if blockedResidual { residual = try residual.reordered(to: Tensor.Layout.channelBlocked(residual.shape, block: 8)) }
                    let what = "case \(number) blocked input \(blockedInput) residual \(blockedResidual)"
                    let fused = try conv.forward(input, fusing: ConvolutionFusion(batchNorm: norm, residual: item.residual ? residual : nil,
                                                                                  overwritesResidual: false, activation: item.activation))
                    XCTAssertEqual(fused.shape, referenceConv.outputShape)
                    assertClose(try doubles(fused), expected, tolerance: 1e-5, "\(what): fused vs twin")
                    if item.residual {
                        XCTAssertEqual(try residual.toArray(), floats(residualValues), "\(what): residual left as it was")
                    }

                    // The same layers one by one (recorded evaluation: conv, then batch norm, add, activation).
                    conv.setOptions(Self.recording)
                    norm.setOptions(Self.recording)
                    var unfused = try norm.forward(conv.forward(input)).toArray().map(Double.init)
                    conv.setOptions(EngineOptions())
                    norm.setOptions(EngineOptions())
                    if item.residual { unfused = zip(unfused, residualValues).map(+) }
                    unfused = unfused.map { Self.activate($0, item.activation) }
                    assertClose(try doubles(fused), unfused, tolerance: 1e-5, "\(what): fused vs unfused layers")
                }
            }
        }
    }

    /// With `overwritesResidual` the output is written over a residual in the output's layout (no
    /// copy), and the values stay right; a residual in another layout is left untouched.
    func testFoldedConvolutionWritesOverAResidualItMayOverwrite() throws {
        var random = TestRandom(33)
        let conv = try Conv2d(inputChannels: 16, outputChannels: 16, kernelSize: 1, bias: false, seed: 5)
        let norm = try BatchNorm2d(featureCount: 16)
        conv.setTraining(false)
        norm.setTraining(false)
        _ = try randomize(norm, &random)
        let shape = [2, 16, 5, 3]
        let input = try Tensor(shape: shape, values: floats(random.values(shape.reduce(1, *))))
        let residualValues = floats(random.values(shape.reduce(1, *), -2, 2))
        func fusion(_ residual: Tensor, overwrites: Bool) -> ConvolutionFusion {
            ConvolutionFusion(batchNorm: norm, residual: residual, overwritesResidual: overwrites, activation: .relu)
        }
        let reference = try conv.forward(input, fusing: fusion(Tensor(shape: shape, values: residualValues), overwrites: false))
        // A residual in the output's layout: the output is the residual's buffer.
        let sameLayout = try Tensor(shape: shape, values: residualValues).reordered(to: reference.layout)
        let inPlace = try conv.forward(input, fusing: fusion(sameLayout, overwrites: true))
        XCTAssertTrue(inPlace === sameLayout, "written over the residual")
        XCTAssertEqual(try inPlace.toArray(), try reference.toArray())
        // Plain residual and blocked output: copied, the residual untouched.
        if try reference.layout != Tensor.Layout.plain(shape) {
            let plain = try Tensor(shape: shape, values: residualValues)
            let copied = try conv.forward(input, fusing: fusion(plain, overwrites: true))
            XCTAssertFalse(copied === plain)
            XCTAssertEqual(try plain.toArray(), residualValues)
            XCTAssertEqual(try copied.toArray(), try reference.toArray())
        }
        // The input as its own residual (a 1×1 convolution keeping the shape): never written over.
        let selfResidual = try input.reordered(to: reference.layout)
        let expected = try conv.forward(selfResidual, fusing: fusion(try input.reordered(to: reference.layout), overwrites: false))
        let result = try conv.forward(selfResidual, fusing: fusion(selfResidual, overwrites: true))
        XCTAssertFalse(result === selfResidual)
        XCTAssertEqual(try result.toArray(), try expected.toArray())
    }

    /// A folded pair computes the fold only in unrecorded evaluation: never in training mode or
    /// in recorded evaluation, or with the option off; a Sequential in training mode runs the batch
    /// norm with batch statistics (updating the running ones) and can run backward.
    func testTrainingForwardNeverFolds() throws {
        var random = TestRandom(34)
        let conv = try Conv2d(inputChannels: 4, outputChannels: 8, kernelSize: 3, padding: 1, seed: 2)
        let norm = try BatchNorm2d(featureCount: 8, fusesReLU: true)
        let model = Sequential([conv, norm])
        _ = try randomize(norm, &random)
        XCTAssertFalse(conv.foldsBatchNorm, "not folded before the pass")
        model.foldBatchNorm()
        XCTAssertTrue(conv.foldedBatchNorm === norm, "the pass links the pair")
        XCTAssertFalse(conv.foldsBatchNorm, "training mode")
        model.setTraining(false)
        XCTAssertTrue(conv.foldsBatchNorm, "unrecorded evaluation")
        model.setOptions(Self.recording)
        XCTAssertFalse(conv.foldsBatchNorm, "recorded evaluation")
        model.setOptions(EngineOptions(foldsBatchNormInInference: false))
        XCTAssertFalse(conv.foldsBatchNorm, "option off")
        XCTAssertNil(conv.foldedBatchNorm, "option off: unlinked")
        model.setOptions(EngineOptions())
        XCTAssertTrue(conv.foldsBatchNorm, "option on again")
        norm.isTraining = true
        XCTAssertFalse(conv.foldsBatchNorm, "batch norm in training")

        let shape = [3, 4, 5, 6]
        let x = random.values(shape.reduce(1, *))
        let input = try Tensor(shape: shape, values: floats(x))
        model.setTraining(false)
        let folded = try doubles(model.forward(input))
        model.setTraining(true)
        let meanBefore = try norm.runningMean.toArray()
        let trained = try doubles(model.forward(input))
        XCTAssertNotEqual(try norm.runningMean.toArray(), meanBefore, "running statistics updated")
        // Batch statistics: the twin normalizes the convolution's output with its own mean and variance.
        let referenceConv = ReferenceConv2d(inputShape: shape, outputChannels: 8, kernel: (3, 3), stride: (1, 1),
                                            padding: (1, 1), dilation: (1, 1), groups: 1)
        let convolved = referenceConv.forward(input: x, weight: try doubles(conv.weight.value), bias: try doubles(conv.bias!.value))
        let expected = ReferenceBatchNorm2d(shape: referenceConv.outputShape, epsilon: 1e-5)
            .forward(convolved, gamma: try doubles(norm.weight.value), beta: try doubles(norm.bias.value)).map { max(0, $0) }
        assertClose(trained, expected, tolerance: 1e-4, "training forward uses batch statistics")
        XCTAssertGreaterThan(zip(trained, folded).map { abs($0 - $1) }.max() ?? 0, 0.1, "and differs from the folded evaluation")
        XCTAssertNoThrow(try model.backward(Tensor(shape: [3, 8, 5, 6], repeating: 1)))
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
        model.foldBatchNorm()  // Sequential runs the pair folded
        XCTAssertTrue(conv.foldsBatchNorm)
        let shape = [2, 8, 6, 5]
        let input = try Tensor(shape: shape, values: floats(random.values(shape.reduce(1, *))))
        func expected() throws -> [Double] {
            model.setOptions(Self.recording)
            defer { model.setOptions(EngineOptions()) }
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
        model.foldBatchNorm()
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
        model.setOptions(Self.recording)
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

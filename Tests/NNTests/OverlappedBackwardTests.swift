import Foundation
import EngineTestSupport
import NN
import XCTest

/// `OverlappedBackward`: convolution weight gradients computed on the worker thread beside the
/// input-gradient chain agree with the reference twins; work really runs on another thread; its
/// errors reach the caller; the thread count is split and restored.
final class OverlappedBackwardTests: XCTestCase {
    private var savedThreadCount = 1

    override func setUp() {
        savedThreadCount = Context.threadCount
        try? Context.setThreadCount(2)
    }

    override func tearDown() {
        try? Context.setThreadCount(savedThreadCount)
    }

    /// A chain of 7 convolutions (more than `maximumWaiting` queued weight gradients, so the calling
    /// thread also takes some) with odd shapes, strides, groups and bias; every parameter gradient
    /// and the input gradient against the plain reference twin, run twice so gradients accumulate.
    func testChainGradientsMatchReferenceTwinsWhenOverlapped() throws {
        struct Step { let outputChannels, kernel, stride, padding, groups: Int; let bias: Bool }
        let steps = [
            Step(outputChannels: 8, kernel: 3, stride: 1, padding: 1, groups: 1, bias: true),
            Step(outputChannels: 12, kernel: 1, stride: 1, padding: 0, groups: 1, bias: false),
            Step(outputChannels: 12, kernel: 3, stride: 2, padding: 1, groups: 3, bias: true),
            Step(outputChannels: 9, kernel: 3, stride: 1, padding: 0, groups: 1, bias: false),
            Step(outputChannels: 16, kernel: 1, stride: 1, padding: 0, groups: 1, bias: true),
            Step(outputChannels: 16, kernel: 3, stride: 1, padding: 1, groups: 16, bias: false),
            Step(outputChannels: 5, kernel: 3, stride: 1, padding: 2, groups: 1, bias: true),
        ]
        var random = TestRandom(41)
        var shape = [2, 3, 13, 11]
        var layers: [Conv2d] = []
        var references: [ReferenceConv2d] = []
        for (number, step) in steps.enumerated() {
            let layer = try Conv2d(inputChannels: shape[1], outputChannels: step.outputChannels, kernelSize: step.kernel,
                                   stride: step.stride, padding: step.padding, groups: step.groups, bias: step.bias,
                                   seed: UInt64(number + 100))
            let reference = ReferenceConv2d(inputShape: shape, outputChannels: step.outputChannels,
                                            kernel: (step.kernel, step.kernel), stride: (step.stride, step.stride),
                                            padding: (step.padding, step.padding), dilation: (1, 1), groups: step.groups)
            layers.append(layer)
            references.append(reference)
            shape = reference.outputShape
        }
        let x = random.values(references[0].inputShape.reduce(1, *))
        let dy = random.values(shape.reduce(1, *))

        // The reference: forward through the twins, then backward, all in double.
        var activations = [x]
        for (layer, reference) in zip(layers, references) {
            activations.append(reference.forward(input: activations.last!, weight: try doubles(layer.weight.value),
                                                 bias: try layer.bias.map { try doubles($0.value) }))
        }
        var expectedGradient = dy
        var expectedWeights: [[Double]] = Array(repeating: [], count: layers.count)
        var expectedBiases: [[Double]] = Array(repeating: [], count: layers.count)
        for index in layers.indices.reversed() {
            let gradients = references[index].backward(input: activations[index], weight: try doubles(layers[index].weight.value),
                                                        gradientOutput: expectedGradient)
            expectedWeights[index] = gradients.weight
            expectedBiases[index] = gradients.bias
            expectedGradient = gradients.input
        }

        var dx: Tensor?
        for _ in 0 ..< 2 {
            var y = try Tensor(shape: references[0].inputShape, values: floats(x))
            for layer in layers { y = try layer.forward(y) }
            XCTAssertEqual(y.shape, shape)
            dx = try OverlappedBackward.run {
                var gradient = try Tensor(shape: shape, values: floats(dy))
                for layer in layers.reversed() { gradient = try layer.backward(gradient) }
                return gradient
            }
        }
        assertClose(try doubles(dx!), expectedGradient, tolerance: 1e-5, "dx")
        for (index, layer) in layers.enumerated() {
            assertClose(try doubles(layer.weight.gradient), expectedWeights[index].map { 2 * $0 }, tolerance: 1e-5, "layer \(index) dW")
            if let bias = layer.bias {
                assertClose(try doubles(bias.gradient), expectedBiases[index].map { 2 * $0 }, tolerance: 1e-5, "layer \(index) db")
            }
        }
    }

    func testWorkRunsOnAnotherThreadWithHalfTheThreads() throws {
        let started = DispatchSemaphore(value: 0)
        let caller = pthread_self()
        // nonisolated(unsafe): the worker writes these before it signals `started`; the caller reads them after the wait.
        nonisolated(unsafe) var workerThread: pthread_t?
        nonisolated(unsafe) var workerThreadCount = 0
        var insideThreadCount = 0
        try OverlappedBackward.run {
            insideThreadCount = Context.threadCount
            try OverlappedBackward.submit {
                workerThread = pthread_self()
                workerThreadCount = Context.threadCount
                started.signal()
            }
            // The worker takes it; the caller only takes queued work at the end or past the limit.
            XCTAssertEqual(started.wait(timeout: .now() + 10), .success, "worker never ran the work")
        }
        XCTAssertNotNil(workerThread)
        if let workerThread { XCTAssertEqual(pthread_equal(workerThread, caller), 0, "work ran on the calling thread") }
        XCTAssertEqual(insideThreadCount, 1)
        XCTAssertEqual(workerThreadCount, 1)
        XCTAssertEqual(Context.threadCount, 2, "thread count restored")
    }

    struct WorkFailure: Error {}

    func testErrorOfSubmittedWorkReachesTheCaller() throws {
        // nonisolated(unsafe): written (if ever) by the worker inside `run`, read after `run` has waited for it.
        nonisolated(unsafe) var laterRan = false
        XCTAssertThrowsError(try OverlappedBackward.run {
            try OverlappedBackward.submit { throw WorkFailure() }
            // Work after a failure is skipped (gradients are incomplete anyway) until the end.
            Thread.sleep(forTimeInterval: 0.2)
            try OverlappedBackward.submit { laterRan = true }
        }) { XCTAssertTrue($0 is WorkFailure, "\($0)") }
        XCTAssertFalse(laterRan)
        XCTAssertEqual(Context.threadCount, 2, "thread count restored")
        // The queue is usable again and the error is not reported twice.
        // nonisolated(unsafe): written by the worker inside `run`, read after `run` has waited for it.
        nonisolated(unsafe) var ran = false
        try OverlappedBackward.run { try OverlappedBackward.submit { ran = true } }
        XCTAssertTrue(ran)
    }

    func testOutsideRunWorkIsDoneAtOnce() throws {
        var ran = false
        try OverlappedBackward.submit { ran = true }
        XCTAssertTrue(ran)
    }
}

import Foundation
import EngineTestSupport
import NN
import XCTest

/// Synchronized batch norm (`BatchNormStatistics.synchronized`): replicas that each see a share
/// of a batch, their sums added by the synchronizer, compute what the reference twin (checked
/// by finite differences) computes on the whole batch; and frozen batch norm (`.frozen`)
/// normalizes with the running statistics in training.
final class SynchronizedBatchNormTests: XCTestCase {
    /// Two replicas on two threads (uneven shares, 1–3 images), on every layout the kernels read,
    /// channel counts that leave padding lanes, with and without the fused ReLU: the outputs and
    /// input gradients together, each replica's running statistics, and the sum of the replicas'
    /// dγ and dβ equal the twin's on the whole batch.
    func testTwoReplicasEqualTheWholeBatch() throws {
        var random = TestRandom(61)
        for (number, (shape, block, firstShare)) in [([3, 13, 5, 7], 8, 2), ([2, 16, 3, 5], 16, 1), ([4, 21, 4, 3], 16, 3),
                                                     ([3, 5, 3, 2], 1, 1), ([2, 8, 1, 1], 8, 1)].enumerated() {
            for relu in [false, true] {
                let what = "case \(number) block \(block) relu \(relu)"
                let channels = shape[1], plane = shape[2] * shape[3]
                let gamma = random.values(channels, -1.5, 1.5), beta = random.values(channels)
                let x = random.values(shape.reduce(1, *), -2, 3), dy = random.values(x.count)
                let reference = ReferenceBatchNorm2d(shape: shape, epsilon: 1e-5)
                let normalized = reference.forward(x, gamma: gamma, beta: beta)
                let expected = reference.backward(x, gamma: gamma, gradientOutput: relu ? zip(normalized, dy).map { $0 > 0 ? $1 : 0 } : dy)

                let replicas = ThreadReplicas(count: 2)
                let shares = [0 ..< firstShare, firstShare ..< shape[0]]
                var layers: [BatchNorm2d] = []
                var inputs: [(x: Tensor, dy: Tensor)] = []
                for share in shares {
                    let layer = try BatchNorm2d(featureCount: channels, fusesReLU: relu)
                    try layer.weight.setValues(floats(gamma))
                    try layer.bias.setValues(floats(beta))
                    layer.statistics = .synchronized(replicas)
                    layers.append(layer)
                    let part = [share.count] + shape.dropFirst()
                    let layout = block == 1 ? try Tensor.Layout.plain(part) : try Tensor.Layout.channelBlocked(part, block: block)
                    let values = share.lowerBound * channels * plane ..< share.upperBound * channels * plane
                    inputs.append((try Tensor(shape: part, values: floats(Array(x[values]))).reordered(to: layout),
                                   try Tensor(shape: part, values: floats(Array(dy[values]))).reordered(to: layout)))
                }
                let results = try replicas.run { replica in
                    let y = try layers[replica].forward(inputs[replica].x)
                    let dx = try layers[replica].backward(inputs[replica].dy)
                    return (try doubles(y), try doubles(dx))
                }
                assertClose(results[0].0 + results[1].0, relu ? normalized.map { max(0, $0) } : normalized, tolerance: 1e-5, "\(what) forward")
                assertClose(results[0].1 + results[1].1, expected.input, tolerance: 1e-5, "\(what) dx")
                assertClose(zip(try doubles(layers[0].weight.gradient), try doubles(layers[1].weight.gradient)).map(+), expected.gamma,
                            tolerance: 1e-5, "\(what) dγ")
                assertClose(zip(try doubles(layers[0].bias.gradient), try doubles(layers[1].bias.gradient)).map(+), expected.beta,
                            tolerance: 1e-5, "\(what) dβ")
                let (mean, variance) = reference.statistics(x)
                let n = Double(shape[0] * plane)
                for (replica, layer) in layers.enumerated() {
                    assertClose(try doubles(layer.runningMean), mean.map { 0.1 * $0 }, tolerance: 1e-6, "\(what) running mean \(replica)")
                    assertClose(try doubles(layer.runningVariance), variance.map { 0.9 + 0.1 * $0 * n / (n - 1) }, tolerance: 1e-6,
                                "\(what) running variance \(replica)")
                }
            }
        }
    }

    /// One process with `SingleReplica`: the whole batch, as the twin; values far from zero
    /// (mean/σ ≈ 300) keep dγ, dx and the variance exact because the moments are taken about
    /// the running mean, which the first step brings close (the second step is compared). The
    /// output is not compared: y = scale·x + offset in float32 cancels ≈ 520 against ≈ 520 here,
    /// as the other batch-norm paths do (BatchNorm2dTests.testDoubleSumsStayExactWhenSumsCancel).
    func testSingleReplicaEqualsTheTwinAlsoWhenSumsCancel() throws {
        var random = TestRandom(62)
        let shape = [4, 8, 16, 16]
        let layer = try BatchNorm2d(featureCount: 8, momentum: 1)  // the running mean becomes the batch mean at once
        layer.statistics = .synchronized(SingleReplica())
        let gamma = random.values(8, 0.5, 1.5), beta = random.values(8, -0.2, 0.2)
        try layer.weight.setValues(floats(gamma))
        try layer.bias.setValues(floats(beta))
        let blocked = try Tensor.Layout.channelBlocked(shape, block: 8)
        let reference = ReferenceBatchNorm2d(shape: shape, epsilon: 1e-5)
        for step in 0 ..< 2 {
            let x = floats(random.values(shape.reduce(1, *), -1, 1).map { 300 + $0 }).map(Double.init)
            let dy = random.values(x.count).map { $0 + 0.3 }
            layer.zeroGradients()
            _ = try layer.forward(Tensor(shape: shape, values: floats(x)).reordered(to: blocked))
            let dx = try layer.backward(Tensor(shape: shape, values: floats(dy)).reordered(to: blocked))
            guard step == 1 else { continue }
            let expected = reference.backward(x, gamma: gamma, gradientOutput: dy)
            assertClose(try doubles(dx), expected.input, tolerance: 1e-5, "dx")
            assertClose(try doubles(layer.weight.gradient), expected.gamma, tolerance: 1e-5, "dγ")
            assertClose(try doubles(layer.runningVariance), reference.statistics(x).variance.map { $0 * 1024 / 1023 },
                        tolerance: 1e-6, "running variance")
        }
    }

    /// Frozen: training mode normalizes with the running statistics, leaves them unchanged, and
    /// its backward treats them as constants (the twin with given statistics).
    func testFrozenNormalizesWithTheRunningStatistics() throws {
        var random = TestRandom(63)
        let shape = [2, 16, 5, 3]
        let layer = try BatchNorm2d(featureCount: 16, fusesReLU: true)
        layer.statistics = .frozen
        let runningMean = random.values(16), runningVariance = random.values(16, 0.5, 2)
        try layer.runningMean.withUnsafeMutableBufferPointer { for c in 0 ..< 16 { $0[c] = Float(runningMean[c]) } }
        try layer.runningVariance.withUnsafeMutableBufferPointer { for c in 0 ..< 16 { $0[c] = Float(runningVariance[c]) } }
        let gamma = random.values(16), beta = random.values(16)
        try layer.weight.setValues(floats(gamma))
        try layer.bias.setValues(floats(beta))
        let mean = floats(runningMean).map(Double.init), variance = floats(runningVariance).map(Double.init)
        let reference = ReferenceBatchNorm2d(shape: shape, epsilon: 1e-5)
        let x = random.values(shape.reduce(1, *), -2, 2), dy = random.values(x.count)
        let normalized = reference.forward(x, gamma: gamma, beta: beta, mean: mean, variance: variance)
        XCTAssertTrue(layer.isTraining)
        let y = try layer.forward(Tensor(shape: shape, values: floats(x)).reordered(to: Tensor.Layout.channelBlocked(shape)))
        assertClose(try doubles(y), normalized.map { max(0, $0) }, tolerance: 1e-5, "forward")
        XCTAssertEqual(try doubles(layer.runningMean), mean, "the running mean is left as it was")
        XCTAssertEqual(try doubles(layer.runningVariance), variance, "the running variance is left as it was")
        let dx = try layer.backward(Tensor(shape: shape, values: floats(dy)))
        let expected = reference.backward(x, gamma: gamma, gradientOutput: zip(normalized, dy).map { $0 > 0 ? $1 : 0 },
                                          frozenMean: mean, frozenVariance: variance)
        assertClose(try doubles(dx), expected.input, tolerance: 1e-5, "dx")
        assertClose(try doubles(layer.weight.gradient), expected.gamma, tolerance: 1e-4, "dγ")
        assertClose(try doubles(layer.bias.gradient), expected.beta, tolerance: 1e-4, "dβ")
    }

    /// A layout the synchronized kernels do not read is named, not misread; setting the
    /// statistics on a model reaches every batch norm in it.
    func testUnreadableLayoutIsNamedAndModelsSetEveryBatchNorm() throws {
        let layer = try BatchNorm2d(featureCount: 4)
        let model = Sequential([try Conv2d(inputChannels: 3, outputChannels: 4, kernelSize: 1), layer, ReLU()])
        model.setBatchNormStatistics(.synchronized(SingleReplica()))
        guard case .synchronized = layer.statistics else { return XCTFail("the model's batch norm is not synchronized") }
        let shape = [2, 4, 3, 3]
        XCTAssertThrowsError(try layer.forward(Tensor(zeros: shape).reordered(to: Tensor.Layout.channelsLast(shape)))) { error in
            XCTAssertTrue("\(error)".contains("synchronized batch norm reads plain, nChw8c and nChw16c inputs"), "\(error)")
        }
        model.setBatchNormStatistics(.frozen)
        guard case .frozen = layer.statistics else { return XCTFail("the model's batch norm is not frozen") }
    }
}

/// Replicas of a data-parallel step as threads of this process: `run` starts one thread per
/// replica, and `sumOverReplicas` waits until every replica has brought its values, then gives
/// each their sum, as an allreduce does.
// @unchecked Sendable: its state is touched only under `condition`.
final class ThreadReplicas: BatchNormSynchronizer, @unchecked Sendable {
    let count: Int
    private let condition = NSCondition()
    private var arrived = 0
    private var round = 0
    private var total: [Double] = []
    private var result: [Double] = []

    init(count: Int) { self.count = count }

    func sumOverReplicas(_ values: inout [Double]) throws {
        condition.lock()
        defer { condition.unlock() }
        total = arrived == 0 ? values : zip(total, values).map(+)
        arrived += 1
        let myRound = round
        if arrived == count {
            result = total
            arrived = 0
            round += 1
            condition.broadcast()
        } else {
            while round == myRound { condition.wait() }
        }
        values = result
    }

    /// Runs `body(replica)` for every replica at once, each on its own thread with its own
    /// oneDNN stream; returns their results in replica order, or throws the first error.
    func run<Result>(_ body: @escaping (Int) throws -> Result) throws -> [Result] {
        let outcomes = Outcomes<Result>(count: count)
        let group = DispatchGroup()
        // nonisolated(unsafe): each thread calls it with its own replica, whose layer and tensors no other thread touches.
        nonisolated(unsafe) let body = body
        for replica in 0 ..< count {
            group.enter()
            let thread = Thread {
                outcomes.set(replica, Swift.Result { try Context.shared.useOwnStreamOnThisThread(); return try body(replica) })
                group.leave()
            }
            thread.start()
        }
        group.wait()
        return try outcomes.values.map { try $0!.get() }
    }
}

/// The replicas' results, each written once by its thread.
// @unchecked Sendable: written under `lock`, read after every thread has left.
private final class Outcomes<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Result<Value, Error>?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Result<Value, Error>) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }
}

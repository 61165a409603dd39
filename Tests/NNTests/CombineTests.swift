import EngineTestSupport
import NN
import XCTest

final class CombineTests: XCTestCase {
    func testAddAndFusedReLUAcrossLayouts() throws {
        var random = TestRandom(71)
        let shape = [2, 16, 5, 3]
        let a = random.values(shape.reduce(1, *)), b = random.values(shape.reduce(1, *))
        // a blocked (as a convolution's output), b plain: the output keeps a's layout.
        let first = try Tensor(shape: shape, values: floats(a)).reordered(to: Tensor.Layout.channelBlocked(shape))
        let second = try Tensor(shape: shape, values: floats(b))
        for fused in [false, true] {
            let add = Add(fusesReLU: fused)
            let y = try add.forward(first, second)
            XCTAssertEqual(y.layoutName, first.layoutName)
            let sum = zip(a, b).map { $0 + $1 }
            let expected = fused ? sum.map { max(0, $0) } : sum
            assertClose(try doubles(y), expected, tolerance: 1e-6, "add fused \(fused)")
            let dy = random.values(sum.count)
            let (da, db) = try add.backward(Tensor(shape: shape, values: floats(dy)))
            let expectedGradient = fused ? zip(sum, dy).map { $0 > 0 ? $1 : 0 } : dy
            assertClose(try doubles(da), expectedGradient, tolerance: 1e-6, "add da")
            assertClose(try doubles(db), expectedGradient, tolerance: 1e-6, "add db")
            assertGradientMatchesFiniteDifferences(input: a, weights: dy, analytic: expectedGradient, tolerance: 1e-5, "add") { x in
                let s = zip(x, b).map { $0 + $1 }
                return fused ? s.map { max(0, $0) } : s
            }
        }
        XCTAssertThrowsError(try Add().forward(second, Tensor(zeros: [2, 16, 5, 4])))
    }

    /// The in-place sum (written over the first input) against the plain twin, with and without
    /// channel padding of the blocked layout (4 or 16 channels in 8-blocks), forward and backward.
    func testAddOverwritingFirstInputMatchesTwin() throws {
        var random = TestRandom(72)
        for channels in [4, 16] {
            let shape = [2, channels, 5, 3]
            let a = random.values(shape.reduce(1, *)), b = random.values(shape.reduce(1, *)), dy = random.values(shape.reduce(1, *))
            let expected = zip(a, b).map { max(0, $0 + $1) }
            let first = try Tensor(shape: shape, values: floats(a)).reordered(to: Tensor.Layout.channelBlocked(shape, block: 8))
            let second = try Tensor(shape: shape, values: floats(b)).reordered(to: Tensor.Layout.channelBlocked(shape, block: 8))
            let layer = Add(fusesReLU: true, overwritesFirstInput: true)
            let y = try layer.forward(first, second)
            assertClose(try doubles(y), expected, tolerance: 1e-6, "\(channels) channels: in-place sum")
            let (dx, _) = try layer.backward(Tensor(shape: shape, values: floats(dy)))
            assertClose(try doubles(dx), zip(dy, expected).map { $1 > 0 ? $0 : 0 }, tolerance: 1e-6, "\(channels) channels: gradient")
        }
    }

    func testAccumulateAddsAcrossLayouts() throws {
        let shape = [1, 3, 2, 2]
        let target = try Tensor(shape: shape, repeating: 1)
        let blocked = try Tensor(shape: shape, values: (0..<12).map(Float.init)).reordered(to: Tensor.Layout.channelBlocked(shape))
        try target.accumulate(blocked)
        XCTAssertEqual(try target.toArray(), (0..<12).map { Float($0) + 1 })
        // Same layout: the in-place sum path.
        try target.accumulate(Tensor(shape: shape, repeating: 2))
        XCTAssertEqual(try target.toArray(), (0..<12).map { Float($0) + 3 })
        try blocked.accumulate(blocked.reordered(to: blocked.layout))
        XCTAssertEqual(try blocked.toArray(), (0..<12).map { 2 * Float($0) })
        XCTAssertThrowsError(try target.accumulate(Tensor(zeros: [1, 3, 2, 3])))
    }

    func testConcatForwardAndBackwardSliceChannels() throws {
        var random = TestRandom(72)
        // Channel counts on and off the 16-channel blocks, plain and blocked inputs.
        for (channels, blocked) in [([16, 32, 32], true), ([3, 5, 8], false), ([64, 32], true), ([3, 16], true)] {
            let n = 2, h = 3, w = 4
            var inputs: [Tensor] = []
            var values: [[Double]] = []
            for c in channels {
                let v = random.values(n * c * h * w).map { Double(Float($0)) }
                values.append(v)
                let plain = try Tensor(shape: [n, c, h, w], values: floats(v))
                inputs.append(blocked ? try plain.reordered(to: Tensor.Layout.channelBlocked([n, c, h, w])) : plain)
            }
            let concat = Concat()
            let y = try concat.forward(inputs)
            let total = channels.reduce(0, +)
            XCTAssertEqual(y.shape, [n, total, h, w])
            // Reference twin: interleave per image.
            var expected: [Double] = []
            for image in 0..<n {
                for (index, c) in channels.enumerated() {
                    expected += values[index][(image * c * h * w)..<((image + 1) * c * h * w)]
                }
            }
            assertClose(try doubles(y), expected, tolerance: 0, "concat \(channels)")
            let gradients = try concat.backward(y)
            XCTAssertEqual(gradients.count, channels.count)
            for (index, gradient) in gradients.enumerated() {
                XCTAssertEqual(gradient.shape, inputs[index].shape)
                assertClose(try doubles(gradient), values[index], tolerance: 0, "concat grad \(index) of \(channels)")
            }
            // Accumulating into existing gradients (DenseNet's backward): target_k + slice_k, with
            // targets in the inputs' layouts (the vector-add path when the slices fall on channel
            // blocks) and in mixed layouts (oneDNN reorders with a sum post-operation).
            for mixed in [false, true] {
                let concatAgain = Concat()
                _ = try concatAgain.forward(inputs)
                var targets: [Tensor] = [], starts: [[Double]] = []
                for (index, c) in channels.enumerated() {
                    let start = random.values(n * c * h * w).map { Double(Float($0)) }
                    starts.append(start)
                    let plain = try Tensor(shape: [n, c, h, w], values: floats(start))
                    let layout = mixed ? (index % 2 == 0 ? try Tensor.Layout.channelBlocked([n, c, h, w], block: 8)
                                                         : plain.layout) : inputs[index].layout
                    targets.append(try plain.reordered(to: layout))
                }
                try concatAgain.backward(y, accumulatingInto: targets)
                for (index, target) in targets.enumerated() {
                    assertClose(try doubles(target), zip(starts[index], values[index]).map { $0 + $1 }, tolerance: 1e-7,
                                "concat accumulated grad \(index) of \(channels) mixed \(mixed)")
                }
                XCTAssertThrowsError(try concatAgain.backward(y, accumulatingInto: Array(targets.dropLast())))
            }
        }
        XCTAssertThrowsError(try Concat().forward([Tensor(zeros: [1, 2, 3, 3]), Tensor(zeros: [1, 2, 3, 4])]))
        XCTAssertThrowsError(try Concat().forward([]))
    }

    func testDropoutMasksScalesAndIsIdentityInEvaluation() throws {
        let layer = try Dropout(probability: 0.25, seed: 9)
        let shape = [4, 1000]
        let x = try Tensor(shape: shape, repeating: 2)
        let y = try layer.toArrayForward(x)
        let zeros = y.filter { $0 == 0 }.count
        XCTAssertEqual(Double(zeros) / 4000, 0.25, accuracy: 0.03)
        XCTAssertTrue(y.allSatisfy { $0 == 0 || abs($0 - 2 / 0.75) < 1e-6 })
        let dx = try layer.backward(Tensor(shape: shape, repeating: 1)).toArray()
        XCTAssertEqual(dx, zip(y, dx).map { y, _ in y == 0 ? 0 : 1 / 0.75 })
        // The gradient of L = Σ w·y is w·mask; checked through the mask the layer reports.
        XCTAssertEqual(layer.lastMask.count, 4000)
        layer.setTraining(false)
        XCTAssertTrue(try layer.forward(x) === x)
        XCTAssertThrowsError(try Dropout(probability: 1))
    }
}

private extension Dropout {
    func toArrayForward(_ x: Tensor) throws -> [Float] { try forward(x).toArray() }
}

import EngineTestSupport
import NN
import Tensor
import XCTest

/// Drop connect (per-sample stochastic depth) against its definition, computed in double from
/// the samples the layer reports kept: plain and channel-blocked layouts (padded channels too),
/// the finite-difference gradient, the identity in evaluation, repeatable draws, bad input.
final class StochasticDepthTests: XCTestCase {
    private func expected(_ x: [Double], kept: [Bool], probability: Double) -> [Double] {
        let run = x.count / kept.count
        return x.indices.map { kept[$0 / run] ? x[$0] / (1 - probability) : 0 }
    }

    func testForwardAndBackwardMatchTheDefinitionInEveryLayout() throws {
        var random = TestRandom(21)
        for (shape, block) in [([6, 5, 3, 3], nil), ([6, 5, 3, 3], 8), ([5, 16, 2, 3], 16), ([4, 7], nil)] as [([Int], Int?)] {
            let layer = try StochasticDepth(probability: 0.4, seed: 5)
            let x = random.values(shape.reduce(1, *))
            var input = try Tensor(shape: shape, values: floats(x))
            if let block { input = try input.reordered(to: Tensor.Layout.channelBlocked(shape, block: block)) }
            let y = try doubles(layer.forward(input))
            let kept = layer.lastKeptSamples
            XCTAssertEqual(kept.count, shape[0])
            let reference = expected(x, kept: kept, probability: 0.4)
            assertClose(y, reference, tolerance: 1e-6, "forward \(shape) block \(block.map(String.init) ?? "plain")")

            let weights = random.values(x.count)
            var gradientOutput = try Tensor(shape: shape, values: floats(weights))
            if let block { gradientOutput = try gradientOutput.reordered(to: Tensor.Layout.channelBlocked(shape, block: block)) }
            let gradient = try doubles(layer.backward(gradientOutput))
            assertGradientMatchesFiniteDifferences(input: x, weights: weights, analytic: gradient, tolerance: 1e-5,
                                                   "gradient \(shape)") { expected($0, kept: kept, probability: 0.4) }
        }
    }

    func testDropsSamplesAtItsRateRepeatsAfterReseedAndIsIdentityInEvaluation() throws {
        let layer = try StochasticDepth(probability: 0.25, seed: 3)
        let x = try Tensor(shape: [400, 2], repeating: 1)
        _ = try layer.forward(x)
        let first = layer.lastKeptSamples
        XCTAssertEqual(Double(first.filter { !$0 }.count) / 400, 0.25, accuracy: 0.06)
        layer.reseed(7)
        _ = try layer.forward(x)
        let second = layer.lastKeptSamples
        layer.reseed(7)
        _ = try layer.forward(x)
        XCTAssertEqual(layer.lastKeptSamples, second, "same seed, same draws")
        XCTAssertNotEqual(second, first)
        layer.setTraining(false)
        XCTAssertTrue(try layer.forward(x) === x)
        XCTAssertTrue(try layer.backward(x) === x)
    }

    func testBadInputIsRefused() throws {
        XCTAssertThrowsError(try StochasticDepth(probability: 1))
        XCTAssertThrowsError(try StochasticDepth(probability: -0.1))
        let layer = try StochasticDepth(probability: 0.5)
        XCTAssertThrowsError(try layer.backward(Tensor(shape: [2, 3], repeating: 1))) { error in
            XCTAssertTrue(String(describing: error).contains("StochasticDepth"), "\(error)")
        }
        _ = try layer.forward(Tensor(shape: [2, 3], repeating: 1))
        XCTAssertThrowsError(try layer.backward(Tensor(shape: [3, 2], repeating: 1))) { error in
            XCTAssertTrue(String(describing: error).contains("expects a gradient of shape [2, 3]"), "\(error)")
        }
    }
}

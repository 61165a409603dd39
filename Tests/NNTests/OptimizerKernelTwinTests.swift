import NN
import Random
import XCTest

/// The vectorized optimizer kernels against their plain twins: bit-identical parameters and
/// state after several steps, for every option combination and for lengths that leave every
/// possible tail after the vector part, with eight and with sixteen lanes.
final class OptimizerKernelTwinTests: XCTestCase {
    private struct State {
        var parameter: [Float]
        var first: [Float]
        var second: [Float]
    }

    private func randomState(count: Int, generator: inout SplitMix64) -> (State, [[Float]]) {
        let values = (0 ..< count).map { _ in generator.uniform(-1...1) }
        let gradients = (0 ..< 3).map { _ in (0 ..< count).map { _ in generator.uniform(-0.1...0.1) } }
        return (State(parameter: values, first: [Float](repeating: 0, count: count), second: [Float](repeating: 0, count: count)),
                gradients)
    }

    private func assertBitIdentical(_ fast: State, _ reference: State, _ name: String) {
        XCTAssertEqual(fast.parameter.map(\.bitPattern), reference.parameter.map(\.bitPattern), "\(name): parameters")
        XCTAssertEqual(fast.first.map(\.bitPattern), reference.first.map(\.bitPattern), "\(name): first state")
        XCTAssertEqual(fast.second.map(\.bitPattern), reference.second.map(\.bitPattern), "\(name): second state")
    }

    func testSGDMatchesReferenceBitForBit() {
        var generator = SplitMix64(seed: 11)
        let configurations: [(momentum: Float, dampening: Float, nesterov: Bool, weightDecay: Float)] = [
            (0, 0, false, 0), (0, 0, false, 1e-2), (0.9, 0, false, 0), (0.9, 0.1, false, 1e-4), (0.9, 0, true, 1e-4),
        ]
        for lanes in OptimizerKernels.Lanes.allCases {
        for count in Array(0 ... 35) + [1000, 4099] {
            for configuration in configurations {
                let (start, gradients) = randomState(count: count, generator: &generator)
                var fast = start, reference = start
                for (step, gradient) in gradients.enumerated() {
                    gradient.withUnsafeBufferPointer { g in
                        fast.parameter.withUnsafeMutableBufferPointer { p in
                            fast.first.withUnsafeMutableBufferPointer { buffer in
                                OptimizerKernels.sgd(parameter: p.baseAddress!, gradient: g.baseAddress!,
                                                     momentumBuffer: configuration.momentum != 0 ? buffer.baseAddress : nil,
                                                     count: count, isFirstStep: step == 0, learningRate: 0.05,
                                                     momentum: configuration.momentum, dampening: configuration.dampening,
                                                     nesterov: configuration.nesterov, weightDecay: configuration.weightDecay,
                                                     lanes: lanes)
                            }
                        }
                        reference.parameter.withUnsafeMutableBufferPointer { p in
                            reference.first.withUnsafeMutableBufferPointer { buffer in
                                ReferenceOptimizerKernels.sgd(parameter: p.baseAddress!, gradient: g.baseAddress!,
                                                              momentumBuffer: configuration.momentum != 0 ? buffer.baseAddress : nil,
                                                              count: count, isFirstStep: step == 0, learningRate: 0.05,
                                                              momentum: configuration.momentum, dampening: configuration.dampening,
                                                              nesterov: configuration.nesterov, weightDecay: configuration.weightDecay)
                            }
                        }
                    }
                }
                assertBitIdentical(fast, reference, "SGD \(configuration) count \(count) lanes \(lanes.rawValue)")
                if count > 0 { XCTAssertNotEqual(fast.parameter, start.parameter, "SGD must move the parameters") }
            }
        }
        }
    }

    func testAdamMatchesReferenceBitForBit() {
        var generator = SplitMix64(seed: 12)
        let configurations: [(weightDecay: Float, decoupled: Bool)] = [(0, false), (1e-2, false), (1e-2, true)]
        for lanes in OptimizerKernels.Lanes.allCases {
        for count in Array(0 ... 35) + [1000, 4099] {
            for configuration in configurations {
                let (start, gradients) = randomState(count: count, generator: &generator)
                var fast = start, reference = start
                for (step, gradient) in gradients.enumerated() {
                    gradient.withUnsafeBufferPointer { g in
                        fast.parameter.withUnsafeMutableBufferPointer { p in
                            fast.first.withUnsafeMutableBufferPointer { m in
                                fast.second.withUnsafeMutableBufferPointer { v in
                                    OptimizerKernels.adam(parameter: p.baseAddress!, gradient: g.baseAddress!,
                                                          firstMoment: m.baseAddress!, secondMoment: v.baseAddress!, count: count,
                                                          step: step + 1, learningRate: 1e-3, beta1: 0.9, beta2: 0.999,
                                                          epsilon: 1e-8, weightDecay: configuration.weightDecay,
                                                          decoupled: configuration.decoupled, lanes: lanes)
                                }
                            }
                        }
                        reference.parameter.withUnsafeMutableBufferPointer { p in
                            reference.first.withUnsafeMutableBufferPointer { m in
                                reference.second.withUnsafeMutableBufferPointer { v in
                                    ReferenceOptimizerKernels.adam(parameter: p.baseAddress!, gradient: g.baseAddress!,
                                                                   firstMoment: m.baseAddress!, secondMoment: v.baseAddress!,
                                                                   count: count, step: step + 1, learningRate: 1e-3, beta1: 0.9,
                                                                   beta2: 0.999, epsilon: 1e-8,
                                                                   weightDecay: configuration.weightDecay,
                                                                   decoupled: configuration.decoupled)
                                }
                            }
                        }
                    }
                }
                assertBitIdentical(fast, reference, "Adam \(configuration) count \(count) lanes \(lanes.rawValue)")
                if count > 0 { XCTAssertNotEqual(fast.parameter, start.parameter, "Adam must move the parameters") }
            }
        }
        }
    }
}

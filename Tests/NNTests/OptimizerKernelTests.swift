import NN
import XCTest

/// The update rules against torch.optim trajectories and lr_scheduler sequences
/// (OptimGoldenValues.swift, made by scripts/golden/make-fixtures.py).
final class OptimizerKernelTests: XCTestCase {
    func testTrajectoriesMatchTorchOptim() {
        for golden in OptimGoldenValues.cases {
            var parameters = golden.initial
            var first = golden.shapes.map { [Float](repeating: 0, count: $0.reduce(1, *)) }
            var second = first
            var steps = [Int](repeating: 0, count: parameters.count)
            for (stepIndex, gradients) in golden.gradients.enumerated() {
                for t in parameters.indices {
                    if golden.secondFrozen && t == 1 { continue }
                    steps[t] += 1
                    let count = parameters[t].count
                    parameters[t].withUnsafeMutableBufferPointer { p in
                        gradients[t].withUnsafeBufferPointer { g in
                            first[t].withUnsafeMutableBufferPointer { m in
                                second[t].withUnsafeMutableBufferPointer { v in
                                    if golden.optimizer == "SGD" {
                                        OptimizerKernels.sgd(parameter: p.baseAddress!, gradient: g.baseAddress!,
                                                             momentumBuffer: m.baseAddress!, count: count,
                                                             isFirstStep: steps[t] == 1, learningRate: golden.learningRate,
                                                             momentum: golden.momentum, dampening: golden.dampening,
                                                             nesterov: golden.nesterov, weightDecay: golden.weightDecay)
                                    } else {
                                        OptimizerKernels.adam(parameter: p.baseAddress!, gradient: g.baseAddress!,
                                                              firstMoment: m.baseAddress!, secondMoment: v.baseAddress!,
                                                              count: count, step: steps[t], learningRate: golden.learningRate,
                                                              beta1: golden.beta1, beta2: golden.beta2, epsilon: golden.epsilon,
                                                              weightDecay: golden.weightDecay, decoupled: golden.optimizer == "AdamW")
                                    }
                                }
                            }
                        }
                    }
                }
                for t in parameters.indices {
                    for (ours, theirs) in zip(parameters[t], golden.after[stepIndex][t]) {
                        XCTAssertEqual(ours, theirs, accuracy: 2e-6 * max(1, abs(theirs)),
                                       "\(golden.name) step \(stepIndex + 1) tensor \(t)")
                    }
                }
            }
            if golden.secondFrozen {
                XCTAssertEqual(parameters[1], golden.initial[1], "a frozen tensor must not move")
            }
        }
    }

    private func sequence(_ schedule: some LearningRateSchedule, epochs: Int, metrics: [Float]? = nil) -> [Float] {
        var schedule = schedule
        var rates = [schedule.learningRate]
        for epoch in 0 ..< epochs {
            schedule.step(metric: metrics?[epoch])
            rates.append(schedule.learningRate)
        }
        return rates
    }

    private func assertRates(_ ours: [Float], _ theirs: [Float], _ name: String, line: UInt = #line) {
        XCTAssertEqual(ours.count, theirs.count, name, line: line)
        for (epoch, (a, b)) in zip(ours, theirs).enumerated() {
            XCTAssertEqual(a, b, accuracy: 1e-6 * b, "\(name) epoch \(epoch)", line: line)
        }
    }

    func testSchedulesMatchTorchLRScheduler() {
        assertRates(sequence(StepSchedule(initial: 0.1, stepSize: 3, gamma: 0.1), epochs: 10),
                    OptimGoldenValues.stepLearningRates, "step")
        assertRates(sequence(CosineSchedule(initial: 0.1, period: 8, minimum: 0.001), epochs: 8),
                    OptimGoldenValues.cosineLearningRates, "cosine")
        let plateau = ReduceOnPlateauSchedule(initial: 0.1, mode: .minimize, factor: 0.5, patience: 2,
                                              threshold: 0.01, thresholdMode: .relative, cooldown: 1, minimum: 0.02)
        assertRates(sequence(plateau, epochs: OptimGoldenValues.plateauMetrics.count, metrics: OptimGoldenValues.plateauMetrics),
                    OptimGoldenValues.plateauLearningRates, "plateau")
    }
}

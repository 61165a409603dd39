import ArgumentParser
import Foundation
import NN
import Random
import Tensor

/// `thorax bench-kernels`: our own SIMD kernels at each lane width they offer, timed against each
/// other in one run (alternating pairs, medians), so the width the engine uses is a measured choice.
struct KernelBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-kernels",
        abstract: "Times the optimizer kernels with 8 and with 16 lanes against each other.",
        discussion: """
        Each pair runs one step with 8 lanes and one with 16 (which goes first alternates), on the \
        same parameters, gradients and state; the medians over the pairs and their ratio are \
        printed with the instruction set oneDNN reports (the Swift kernels themselves are compiled \
        for baseline x86-64 and run the same code on every CPU).

        Example:
          thorax bench-kernels --parameters 4694024 --pairs 21
        """)

    @Option(help: "Parameters updated per step (EfficientNet-Lite0 has 4,694,024; ResNet-50 25,557,032).")
    var parameters: Int = 4_694_024

    @Option(help: "Alternating pairs of timed steps, after one warm-up step of each width.")
    var pairs: Int = 21

    func validate() throws {
        guard parameters >= 1 else { throw ValidationError("--parameters must be at least 1, got \(parameters)") }
        guard pairs >= 1 else { throw ValidationError("--pairs must be at least 1, got \(pairs)") }
    }

    func run() throws {
        var generator = SplitMix64(seed: 1)
        let gradient = (0 ..< parameters).map { _ in generator.uniform(-0.01 ... 0.01) as Float }
        var values = (0 ..< parameters).map { _ in generator.uniform(-1 ... 1) as Float }
        var first = [Float](repeating: 0, count: parameters), second = first
        print("optimizer kernels, \(parameters) parameters, oneDNN instruction set \(Context.instructionSet), one thread")
        for kernel in ["sgd", "adam"] {
            var step = 0
            func time(_ lanes: OptimizerKernels.Lanes) -> Double {
                step += 1
                let start = DispatchTime.now().uptimeNanoseconds
                gradient.withUnsafeBufferPointer { g in
                    values.withUnsafeMutableBufferPointer { p in
                        first.withUnsafeMutableBufferPointer { m in
                            second.withUnsafeMutableBufferPointer { v in
                                if kernel == "sgd" {
                                    OptimizerKernels.sgd(parameter: p.baseAddress!, gradient: g.baseAddress!, momentumBuffer: m.baseAddress!,
                                                         count: p.count, isFirstStep: step == 1, learningRate: 0.01, momentum: 0.9,
                                                         dampening: 0, nesterov: false, weightDecay: 1e-4, lanes: lanes)
                                } else {
                                    OptimizerKernels.adam(parameter: p.baseAddress!, gradient: g.baseAddress!, firstMoment: m.baseAddress!,
                                                          secondMoment: v.baseAddress!, count: p.count, step: step, learningRate: 1e-3,
                                                          beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false,
                                                          lanes: lanes)
                                }
                            }
                        }
                    }
                }
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            }
            _ = time(.eight)
            _ = time(.sixteen)
            var eight: [Double] = [], sixteen: [Double] = []
            for pair in 0 ..< pairs {
                if pair % 2 == 0 {
                    eight.append(time(.eight))
                    sixteen.append(time(.sixteen))
                } else {
                    sixteen.append(time(.sixteen))
                    eight.append(time(.eight))
                }
            }
            let (a, b) = (BenchCommand.median(eight), BenchCommand.median(sixteen))
            print(String(format: "%@: 8 lanes %.2f ms, 16 lanes %.2f ms (medians of %d alternating pairs); 16/8 = %.3f",
                         kernel, a, b, pairs, b / a))
        }
    }
}

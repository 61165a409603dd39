import ArgumentParser
import Distributed
import Foundation
import NN
import Random
import Training

extension BenchCommand {
    /// When a data-parallel step sums the gradients over the ranks (`thorax bench` under mpirun).
    enum Reduction: String, ExpressibleByArgument, CaseIterable {
        /// In buckets started as backward finishes them, as `thorax train` does.
        case overlapped
        /// All of them after backward, for comparison: what the overlap hides.
        case afterBackward = "after-backward"
        /// Not at all: the ranks' compute alone, under the same contention for the machine.
        case none
    }

    /// The data-parallel training step of `thorax train` on random data, one rank of `mpirun`:
    /// each rank takes its share of the global batch `batch`, BCE with the global batch's label
    /// counts, backward with the gradients summed over the ranks (`reduction`), the optimizer's
    /// step. Rank 0 reports per iteration the slowest rank's step and the time from the end of
    /// backward until the sums were in (what the overlap did not hide), medians over the timed
    /// iterations; images/s counts the global batch.
    func runDataParallel(model: Layer, architecture: String, classCount: Int, optimizer trainingOptimizer: Optimizer) throws {
        let communicator = try Communicator.world()
        let measured: Measured? = communicator.abortingOnError {
            let share = communicator.shard.count(inBatchOf: batch)
            guard share >= 2 else { throw ValidationError("--batch \(batch) over \(communicator.size) ranks leaves a rank fewer than 2 images") }
            var generator = SplitMix64(seed: 42 &+ UInt64(communicator.rank))
            let input = try Tensor(shape: [share, 3, size, size],
                                   values: (0 ..< share * 3 * size * size).map { _ in generator.uniform(0...1) * 2 - 1 })
            let labels = MultiLabelTargets(values: (0 ..< share * classCount).map { _ in generator.uniform(0...1) < 0.3 ? 1 : 0 })
            var counts = [Double(labels.counts.positives), Double(labels.counts.negatives)]
            try communicator.allreduceSum(&counts)
            let global = LabelCounts(positives: Int(counts[0]), negatives: Int(counts[1]))
            let reducer = try GradientReducer(parameters: model.namedParameters().map(\.parameter), communicator: communicator.duplicate())
            let loss = BinaryCrossEntropyWithLogits()
            let progress = ProgressLine("bench \(architecture) data-parallel", total: iterations + 2, unit: "iterations",
                                        enabled: communicator.rank == 0 ? nil : false)
            var steps: [Float] = [], waits: [Float] = []
            for iteration in 0 ..< iterations + 2 {
                let started = DispatchTime.now().uptimeNanoseconds
                let logits = try model.forward(input)
                let result = try loss(logits: logits, targets: labels, batchCounts: global)
                model.zeroGradients()
                if reduction == .overlapped { reducer.beginFinalBackward() }
                _ = try model.backward(result.gradient)
                let backwardEnded = DispatchTime.now().uptimeNanoseconds
                if reduction != .none { try reducer.finishStep() }
                let reduced = DispatchTime.now().uptimeNanoseconds
                try trainingOptimizer.step()
                let ended = DispatchTime.now().uptimeNanoseconds
                if iteration >= 2 {
                    steps.append(Float(Double(ended - started) / 1e9))
                    waits.append(Float(Double(reduced - backwardEnded) / 1e9))
                }
                progress.update(iteration + 1, detail: String(format: "%.3f s", Double(ended - started) / 1e9))
            }
            progress.finish()
            // Per iteration, the slowest rank's times: the step waits for it.
            guard let all = try communicator.gather(steps + waits) else { return nil }
            let slowest = (0 ..< 2 * iterations).map { index in Double(all.map { $0[index] }.max() ?? 0) }
            return Measured(ranks: communicator.size, gradientBytes: reducer.plan.totalCount * MemoryLayout<Float>.size,
                            buckets: reducer.plan.buckets.count, steps: Array(slowest.prefix(iterations)),
                            waits: Array(slowest.suffix(iterations)))
        }
        try communicator.finalize()
        guard let measured else { return }
        let step = BenchCommand.median(measured.steps), wait = BenchCommand.median(measured.waits)
        if json {
            print(#"{"arch": "\#(architecture)", "mode": "train", "batch": \#(batch), "size": \#(size), "ranks": \#(measured.ranks), "#
                + #""threads_per_rank": \#(Context.threadCount), "reduction": "\#(reduction.rawValue)", "#
                + #""gradient_bytes": \#(measured.gradientBytes), "buckets": \#(measured.buckets), "#
                + #""seconds_per_iteration": \#(step), "images_per_second": \#(Double(batch) / step), "#
                + #""reduction_wait_seconds": \#(wait)}"#)
        } else {
            print(String(format: "thorax %@ train batch %d size %d on %d ranks × %d threads: %.4f s/iteration (median of %d, slowest rank), %.1f images/s",
                         architecture, batch, size, measured.ranks, Context.threadCount, step, iterations, Double(batch) / step))
            print(String(format: "gradients %.1f MB in %d buckets, summed %@: %.4f s from the end of backward until the sums were in (median)",
                         Double(measured.gradientBytes) / 1e6, measured.buckets, reduction.rawValue, wait))
        }
    }

    /// What rank 0 reports: per timed iteration the slowest rank's step and wait, in seconds.
    struct Measured {
        var ranks: Int
        var gradientBytes: Int
        var buckets: Int
        var steps: [Double]
        var waits: [Double]
    }
}

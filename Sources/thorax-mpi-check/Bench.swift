import ArgumentParser
import Distributed
import Foundation

/// Times blocking allreduce of gradient-sized float buffers; a benchmark, not a check.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Times allreduce (sum) of ResNet-50's and DenseNet-121's gradient sizes across the ranks.")

    @Option(help: "Timed repetitions per size (after one untimed); the median is reported.")
    var repeats = 7

    @Option(help: "Float counts to time instead of the two models' (repeatable).")
    var floats: [Int] = []

    /// The two backbones' parameter counts with ImageNet's 1000-class classifier, as torchvision
    /// reports them: the gradient sizes of one data-parallel step.
    static let models: [(name: String, floats: Int)] = [("ResNet-50", 25_557_032), ("DenseNet-121", 7_978_856)]

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard floats.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--floats must be at least 1") }
    }

    func run() throws {
        let communicator = try Communicator.world()
        let sizes = floats.isEmpty ? Self.models : floats.map { (name: "\($0) floats", floats: $0) }
        communicator.abortingOnError {
            for (name, count) in sizes {
                let seconds = try time(count, on: communicator)
                guard communicator.rank == 0 else { continue }
                report(name: name, count: count, ranks: communicator.size, seconds: seconds)
            }
        }
        try communicator.finalize()
    }

    /// Per repetition, the slowest rank's time (each rank's gathered at rank 0); nil elsewhere.
    private func time(_ count: Int, on communicator: Communicator) throws -> [Double] {
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 0)  // zeros stay zero under repeated sums
        try communicator.allreduce(buffer, .sum)
        var times: [Float] = []
        for _ in 0..<repeats {
            try communicator.barrier()
            let start = DispatchTime.now().uptimeNanoseconds
            try communicator.allreduce(buffer, .sum)
            times.append(Float(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
        }
        guard let all = try communicator.gather(times) else { return [] }
        return (0..<repeats).map { index in Double(all.map { $0[index] }.max() ?? 0) }
    }

    private func report(name: String, count: Int, ranks: Int, seconds: [Double]) {
        let sorted = seconds.sorted()
        let median = sorted[sorted.count / 2]
        let bytes = Double(count * MemoryLayout<Float>.size)
        // Bus bandwidth: the bytes each rank sends and receives in a ring allreduce, per second.
        let busBandwidth = 2 * Double(ranks - 1) / Double(ranks) * bytes / median / 1e9
        print(String(format: "%@: %d floats (%.1f MB) over %d ranks: median %.1f ms of %d (min %.1f, max %.1f), %.2f GB/s",
                     name, count, bytes / 1e6, ranks, median * 1e3, sorted.count, sorted[0] * 1e3,
                     sorted[sorted.count - 1] * 1e3, busBandwidth))
    }
}

import Random
import ArgumentParser
import Distributed
import Foundation
import Models
import NN
import Tensor
import Training

/// `thorax bench`: times what scripts/bench-pytorch.py times in PyTorch, on random data.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Times training steps or inference of a classifier on random data.",
        discussion: """
        train: forward, BCE-with-logits loss on 14 random labels, backward, SGD step (lr 0.01, \
        momentum 0.9, weight decay 1e-4; --optimizer adam: Adam, lr 1e-3, thorax train's default); \
        infer: forward in eval mode. The model is the torchvision classifier with 14 classes; \
        --head replaces that classifier by the paper's head as thorax train builds it (transition \
        convolution to D channels, avg/max/LSE pooling, D×14 prediction), so the time is that of \
        the network thorax train trains. Two warm-up iterations, then the median of --iterations \
        timed ones: wall seconds, the process's CPU seconds (which a busy machine disturbs less) \
        and the optimizer step's seconds. scripts/bench-pytorch.py measures the plain classifier \
        with SGD in PyTorch.

        Under mpirun (train only), each rank runs `thorax train`'s data-parallel step on its \
        share of the global --batch: the gradients summed over the ranks in buckets as backward \
        finishes them (--reduction overlapped), all after backward (after-backward) or not at \
        all (none); rank 0 reports the slowest rank's step and how long the sums took after \
        backward ended.

        Examples:
          thorax bench --arch resnet50 --batch 16 --size 224 --mode train --iterations 10 --json
          thorax bench --arch efficientnet-lite0 --head --transition-channels 256 --optimizer adam
          mpirun -np 2 thorax bench --arch resnet50 --batch 16 --threads 1 --reduction after-backward
        """)

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case train, infer
    }

    @Option(help: "Architecture: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")).")
    var arch: String = "resnet50"

    @Option(help: "Images per batch.")
    var batch: Int = 16

    @Option(help: "Image height and width.")
    var size: Int = 224

    @Option(help: "train or infer.")
    var mode: Mode = .train

    @Flag(help: "Use the paper's head (as `thorax train`) instead of the torchvision classifier.")
    var head = false

    @OptionGroup(title: "With --head")
    var headOptions: HeadOptions

    @Option(help: "Training optimizer: sgd (PyTorch bench's) or adam (thorax train's default).")
    var optimizer: OptimizerAlgorithm = .sgd

    @Option(help: "Under mpirun: when the gradients are summed over the ranks.")
    var reduction: Reduction = .overlapped

    @Option(help: "Timed iterations (after two warm-up ones).")
    var iterations: Int = 10

    @Option(help: "Threads for oneDNN (default: all cores).")
    var threads: Int?

    @Flag(help: "Print one JSON object instead of a sentence.")
    var json = false

    func validate() throws {
        guard batch > 0, size >= 32, iterations > 0 else {
            throw ValidationError("--batch and --iterations must be positive and --size at least 32")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        let architecture = try Architecture(name: arch)
        let classCount = 14
        let model: Layer
        if head {
            let backbone = try architecture.makeBackbone(seed: 1)
            backbone.computesInputGradient = false
            model = try WeaklySupervisedModel(backbone: backbone, classCount: classCount,
                                              transitionChannels: headOptions.transitionChannels,
                                              pooling: headOptions.modelPooling, seed: 8)
        } else {
            let classifier = try architecture.makeClassifier(classCount: classCount, seed: 1)
            classifier.computesInputGradient = false
            model = classifier
        }
        model.setTraining(mode == .train)
        var options = EngineOptions.fromEnvironment
        options.threads = threads
        model.setOptions(options)
        let parameters = model.namedParameters().map(\.parameter)
        let trainingOptimizer: Optimizer = optimizer == .sgd
            ? SGD(parameters: parameters, learningRate: 0.01, momentum: 0.9, weightDecay: 1e-4)
            : Adam(parameters: parameters, learningRate: 1e-3)
        if Communicator.isDistributed() {
            guard mode == .train else { throw ValidationError("under mpirun, bench times the data-parallel training step (--mode train)") }
            return try runDataParallel(model: model, architecture: architecture.rawValue, classCount: classCount,
                                       optimizer: trainingOptimizer)
        }
        var generator = SplitMix64(seed: 42)
        let input = try Tensor(shape: [batch, 3, size, size],
                               values: (0 ..< batch * 3 * size * size).map { _ in generator.uniform(0...1) * 2 - 1 })
        let labels = MultiLabelTargets(values: (0 ..< batch * classCount).map { _ in generator.uniform(0...1) < 0.3 ? 1 : 0 })
        let loss = BinaryCrossEntropyWithLogits()

        let progress = ProgressLine("bench \(architecture.rawValue) \(mode.rawValue)", total: iterations + 2, unit: "iterations")
        var times: [Double] = []
        var cpuTimes: [Double] = []
        var stepTimes: [Double] = []
        for iteration in 0 ..< iterations + 2 {
            let started = DispatchTime.now().uptimeNanoseconds
            let cpuStarted = BenchCommand.processCPUSeconds()
            let logits = try model.forward(input)
            if mode == .train {
                let result = try loss(logits: logits, targets: labels)
                model.zeroGradients()
                _ = try model.backward(result.gradient)
                let stepStarted = DispatchTime.now().uptimeNanoseconds
                try trainingOptimizer.step()
                if iteration >= 2 { stepTimes.append(Double(DispatchTime.now().uptimeNanoseconds - stepStarted) / 1e9) }
            } else {
                _ = try logits.toArray()
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            if iteration >= 2 {
                times.append(seconds)
                cpuTimes.append(BenchCommand.processCPUSeconds() - cpuStarted)
            }
            progress.update(iteration + 1, detail: String(format: "%.3f s", seconds))
        }
        progress.finish()
        let median = BenchCommand.median(times)
        let imagesPerSecond = Double(batch) / median
        let peak = BenchCommand.peakResidentBytes()
        let cpuMedian = BenchCommand.median(cpuTimes)
        let headName = head ? "paper head (D \(headOptions.transitionChannels), \(headOptions.pooling.rawValue))" : "torchvision classifier"
        if json {
            var training = ""
            if mode == .train {
                training = #", "optimizer": "\#(optimizer.rawValue)", "optimizer_seconds_per_iteration": \#(BenchCommand.median(stepTimes))"#
            }
            print(#"{"arch": "\#(architecture.rawValue)", "mode": "\#(mode.rawValue)", "batch": \#(batch), "size": \#(size), "#
                + #""head": \#(head ? "\"paper\"" : "null"), "#
                + #""seconds_per_iteration": \#(median), "images_per_second": \#(imagesPerSecond), "peak_rss_bytes": \#(peak), "#
                + #""cpu_seconds_per_iteration": \#(cpuMedian)\#(training)}"#)
        } else {
            print(String(format: "thorax %@ %@ batch %d size %d: %.4f s/iteration (median of %d; %.4f CPU s), %.1f images/s, peak RSS %.0f MB",
                         architecture.rawValue, mode.rawValue, batch, size, median, iterations, cpuMedian, imagesPerSecond,
                         Double(peak) / 1_048_576))
            if mode == .train {
                print(String(format: "%@, %@ step %.4f s/iteration (median)", headName, optimizer.rawValue, BenchCommand.median(stepTimes)))
            }
        }
    }

    /// The median of `values` (mean of the middle two for an even count).
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// CPU seconds used by the process so far, all threads (less sensitive than wall time to
    /// other processes on a busy machine).
    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// The process's peak resident set size in bytes (Linux reports ru_maxrss in kilobytes).
    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024
    }
}

import Random
import ArgumentParser
import Foundation
import Imaging
import Loader
import Store

/// `thorax db bench-loader`: the data loader's throughput on a split part, against a serial
/// decode-and-preprocess loop on one thread (the baseline) in the same run.
struct DbBenchLoaderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-loader",
        abstract: "Measure the data loader's images per second (median of passes) against a serial baseline.",
        discussion: """
        Each pass reads every image of the part that has a file (images without one are left
        out and counted). The baseline decodes and preprocesses the same images one after the
        other on one thread; the loader uses its threads and prefetch queue.

        Example:
          thorax db bench-loader --split official --part train_val --images ~/nih/images-256
        """
    )

    @OptionGroup var options: DatabaseOptions

    @Option(name: .long, help: "The split.")
    var split: String = "official"

    @Option(name: .long, help: "The split's part.")
    var part: String = "train_val"

    @Option(name: .long, help: "Read images from this directory instead of the recorded paths.")
    var images: String?

    @Option(name: .long, help: "Output side (square).")
    var size: Int = 224

    @Option(name: .long, help: "Shorter side before the centre crop; 0 resizes straight to --size.")
    var resize: Int = 256

    @Option(name: .long, help: "Images per batch.")
    var batchSize: Int = 16

    @Option(name: .long, help: "Loader threads.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(name: .long, help: "Apply training augmentation.")
    var augment = false

    @Option(name: .long, help: "Timed passes of each (the median is reported).")
    var passes: Int = 5

    func validate() throws {
        guard size > 0, resize == 0 || resize >= size else { throw ValidationError("--resize must be 0 or at least --size") }
        guard batchSize > 0, threads > 0, passes > 0 else { throw ValidationError("counts must be positive") }
    }

    func run() throws {
        if let images { try requireInputFolder(images, option: "--images") }
        let database = try options.open(.read)
        try requireSplit(split, parts: [("--part", part)], in: database, path: options.database)
        var preprocessing = Preprocessing(outputSize: size, resizeSize: resize == 0 ? nil : resize)
        if augment { preprocessing.augmentation = Augmentation() }
        let configuration = LoaderConfiguration(
            batchSize: batchSize, preprocessing: preprocessing, seed: 1, threads: threads,
            imageDirectory: images.map { URL(fileURLWithPath: $0, isDirectory: true) })
        let loader = try DataLoader(database: database, split: split, part: part,
                                    configuration: configuration)
        let count = loader.images.count
        guard count > 0 else {
            throw InputFileError("\(images ?? options.database): no image of \(split):\(part) has a file "
                + (images == nil ? "on disk (`thorax db import-nih --images FOLDER` records where they are, or give --images)" : "in this folder"))
        }
        print("\(count) images with a file (\(loader.skippedCount) without), \(preprocessing.normalization.channels)×\(size)×\(size), batch \(batchSize)")

        // Baseline: the same work, serially, on this thread.
        var buffer = [Float](repeating: 0, count: preprocessing.valuesPerImage)
        var baseline: [Double] = []
        var baselineProcessor: [Double] = []
        for _ in 0..<passes {
            let start = Date()
            let processorStart = clock()
            for index in 0..<count {
                let image = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: loader.pathForBenchmark(index)))
                buffer.withUnsafeMutableBufferPointer { output in
                    if preprocessing.augmentation != nil {
                        var generator = SplitMix64(seed: UInt64(index))
                        preprocessing.apply(image, into: output, generator: &generator)
                    } else {
                        preprocessing.apply(image, into: output)
                    }
                }
            }
            baseline.append(Double(count) / Date().timeIntervalSince(start))
            baselineProcessor.append(Double(clock() - processorStart) / Double(CLOCKS_PER_SEC) / Double(count))
        }

        var loaded: [Double] = []
        var loadedProcessor: [Double] = []
        var checksum = 0.0
        for pass in 0..<passes {
            let start = Date()
            let processorStart = clock()
            var seen = 0
            for batch in loader.batches(epoch: pass) {
                seen += batch.count
                checksum += Double(batch.images[0])
            }
            loaded.append(Double(seen) / Date().timeIntervalSince(start))
            loadedProcessor.append(Double(clock() - processorStart) / Double(CLOCKS_PER_SEC) / Double(max(seen, 1)))
        }
        let baselineMedian = median(baseline), loaderMedian = median(loaded)
        print(String(format: "baseline (serial decode + preprocess, 1 thread): %.0f images/s (median of %d)", baselineMedian, passes))
        print(String(format: "loader (%d threads, prefetch %d batches): %.0f images/s (median of %d), %.2f× the baseline",
                     threads, configuration.prefetchBatches, loaderMedian, passes, loaderMedian / baselineMedian))
        // On a shared machine wall-clock rates reflect the other load; processor time per
        // image (all threads) does not, and bounds what the cores would give when idle.
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        print(String(format: "processor time per image: baseline %.2f ms, loader %.2f ms (median); %d cores idle would give at most %.0f images/s",
                     1000 * median(baselineProcessor), 1000 * median(loadedProcessor), Int(cores),
                     cores / median(loadedProcessor)))
        if checksum.isNaN { print("warning: NaN in the loaded images") }
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

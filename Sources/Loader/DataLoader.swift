import Random
import Foundation
import Imaging
import Store

/// How a `DataLoader` batches, preprocesses and prefetches.
public struct LoaderConfiguration: Sendable {
    public var batchSize: Int
    /// Resize, crop, normalization; with `augmentation` set, training draws are made per image.
    public var preprocessing: Preprocessing
    /// Seeds the per-epoch order and every augmentation draw.
    public var seed: UInt64
    /// Shuffle each epoch (from `seed` and the epoch number); otherwise name order.
    public var shuffle: Bool
    /// Leave out a last batch smaller than `batchSize`.
    public var dropLast: Bool
    /// Background decoding threads.
    public var threads: Int
    /// Batches decoded ahead of the one being consumed (the bound on memory in flight).
    public var prefetchBatches: Int
    /// Keep decoded images in memory after their first use, so later epochs only resample and
    /// augment (637 images of 256² take 42 MB; the full 1024² set would not fit).
    public var cacheDecodedImages: Bool
    /// Read `directory/name` instead of the path recorded in the database.
    public var imageDirectory: URL?
    /// Which positions of each batch this loader serves, from the batch's size: in a
    /// data-parallel job a rank's strided share (`StridedShard.positions(inBatchOf:)`), so that
    /// the ranks' shares together are the batch one process loads (same order, same draws).
    /// nil: the whole batch. With a share every batch is yielded, also an empty one, so that
    /// every rank takes every step.
    public var share: (@Sendable (_ batchSize: Int) -> [Int])?

    public init(batchSize: Int = 16, preprocessing: Preprocessing = Preprocessing(), seed: UInt64 = 0,
                shuffle: Bool = true, dropLast: Bool = false,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount, prefetchBatches: Int = 4,
                cacheDecodedImages: Bool = false, imageDirectory: URL? = nil,
                share: (@Sendable (_ batchSize: Int) -> [Int])? = nil) {
        precondition(batchSize > 0 && threads > 0 && prefetchBatches > 0)
        self.batchSize = batchSize
        self.preprocessing = preprocessing
        self.seed = seed
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.threads = threads
        self.prefetchBatches = prefetchBatches
        self.cacheDecodedImages = cacheDecodedImages
        self.imageDirectory = imageDirectory
        self.share = share
    }
}

/// Iterates a split part of the database in batches, decoding, preprocessing and augmenting
/// on background threads with a bounded prefetch queue.
///
/// Deterministic: epoch `e`'s order is a shuffle from (`seed`, `e`), batch `k` is positions
/// `k·N ..< (k+1)·N` of that order, and each image's augmentation is drawn from a generator
/// seeded by (`seed`, `e`, image), so the same seed gives the same batches whatever the thread
/// count or timing, and `batches(epoch:startingAt:)` resumes exactly. Images without a file on
/// disk are left out when the loader is made; images that fail to decode are left out of their
/// batch (which is then smaller). Each is reported once through `warning` and counted in
/// `skippedCount`. The loader never prints.
// @unchecked Sendable: `warned` and `cache`, its only mutable fields, are touched only under `lock`.
public final class DataLoader: @unchecked Sendable {
    public let configuration: LoaderConfiguration
    /// The images the loader serves (those with a file), in name order.
    public let images: [LabelledImage]
    /// Files of `images`, resolved once.
    let paths: [String]

    private let warning: @Sendable (LoaderWarning) -> Void
    private let lock = NSLock()
    private var warned = Set<Int64>()
    private var cache: [Int: GrayscaleImage] = [:]

    /// A loader over `images`. Images whose file is not recorded or not on disk are reported
    /// through `warning` now and left out.
    public init(images: [LabelledImage], configuration: LoaderConfiguration = LoaderConfiguration(),
                warning: @escaping @Sendable (LoaderWarning) -> Void = { _ in }) {
        self.configuration = configuration
        self.warning = warning
        var kept: [LabelledImage] = []
        var paths: [String] = []
        var missing = Set<Int64>()
        for image in images {
            let path = configuration.imageDirectory.map { $0.appendingPathComponent(image.name).path } ?? image.path
            if let path, access(path, R_OK) == 0 {
                kept.append(image)
                paths.append(path)
            } else {
                warning(.missing(name: image.name, path: path))
                missing.insert(image.id)
            }
        }
        self.images = kept
        self.paths = paths
        warned = missing
    }

    /// A loader over `part` of `split` in `database`, labels from `labelSource`.
    public convenience init(database: ThoraxDatabase, split: String, part: String, labelSource: String = "nih",
                            configuration: LoaderConfiguration = LoaderConfiguration(),
                            warning: @escaping @Sendable (LoaderWarning) -> Void = { _ in }) throws {
        self.init(images: try database.labelledImages(split: split, part: part, source: labelSource),
                  configuration: configuration, warning: warning)
    }

    /// The file image `index` of `images` is read from (for benchmarks comparing the loader
    /// with a plain loop over the same files).
    public func pathForBenchmark(_ index: Int) -> String { paths[index] }

    /// Batches per epoch.
    public var batchCount: Int {
        let size = configuration.batchSize
        return configuration.dropLast ? images.count / size : (images.count + size - 1) / size
    }

    /// Images left out so far: missing files, and files that failed to decode.
    public var skippedCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return warned.count
    }

    /// The order of `images` indices in `epoch`.
    public func order(epoch: Int) -> [Int] {
        var order = Array(images.indices)
        if configuration.shuffle {
            var generator = SplitMix64(seed: Self.mix(configuration.seed, UInt64(truncatingIfNeeded: epoch), 0x6F72_6465_72))
            generator.shuffle(&order)
        }
        return order
    }

    /// The batches of `epoch` from batch `first` on, decoded in the background while iterated.
    /// Stopping early (dropping the iterator) stops the threads.
    public func batches(epoch: Int, startingAt first: Int = 0) -> EpochBatches {
        EpochBatches(loader: self, epoch: epoch, first: max(0, first))
    }

    /// The generator for `image`'s augmentation in `epoch`.
    func generator(epoch: Int, image: Int) -> SplitMix64 {
        SplitMix64(seed: Self.mix(configuration.seed, UInt64(truncatingIfNeeded: epoch), UInt64(image)))
    }

    /// Decodes (or takes from the cache) and preprocesses image `index` into `output`.
    /// Returns nil on success, or the decoder's message.
    func load(_ index: Int, epoch: Int, into output: UnsafeMutableBufferPointer<Float>) -> String? {
        var image: GrayscaleImage?
        if configuration.cacheDecodedImages {
            lock.lock()
            image = cache[index]
            lock.unlock()
        }
        if image == nil {
            do {
                image = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: paths[index]))
            } catch {
                return "\(error)"
            }
            if configuration.cacheDecodedImages {
                lock.lock()
                cache[index] = image
                lock.unlock()
            }
        }
        if configuration.preprocessing.augmentation != nil {
            var generator = generator(epoch: epoch, image: index)
            configuration.preprocessing.apply(image!, into: output, generator: &generator)
        } else {
            configuration.preprocessing.apply(image!, into: output)
        }
        return nil
    }

    /// Reports a decode failure once per image (called in batch order, so deterministically).
    func reportUnreadable(_ index: Int, reason: String) {
        lock.lock()
        let first = warned.insert(images[index].id).inserted
        lock.unlock()
        if first { warning(.unreadable(name: images[index].name, reason: reason)) }
    }

    /// A 64-bit mix of three values (SplitMix64 finalizer over a combination), so nearby
    /// seeds, epochs and images give unrelated generators.
    static func mix(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        var generator = SplitMix64(seed: a ^ (b &* 0x9E37_79B9_7F4A_7C15) ^ (c &* 0xC2B2_AE3D_27D4_EB4F))
        return generator.next()
    }
}

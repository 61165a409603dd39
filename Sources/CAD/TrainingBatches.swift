import Foundation
import Imaging
import Store

/// The images of one split part, turned into network batches: decoded once (and kept in memory
/// when asked), preprocessed per batch — with a fresh augmentation draw per image in training,
/// seeded by (seed, epoch, image), so that any batch of any epoch can be rebuilt exactly (what
/// `--resume` relies on).
public final class TrainingBatches {
    /// The usable images, in the database's order.
    public let images: [LabeledImage]
    /// Images left out because no file was recorded or the file is missing, by name.
    public let missing: [String]
    public let preprocessing: Preprocessing
    public let classCount: Int
    private var cache: [GrayscaleImage?]
    private let keepsDecoded: Bool

    /// - Parameters:
    ///   - items: the part's images (from `ThoraxDatabase.labeledImages`).
    ///   - preprocessing: the model's; `augmentation` is used for training batches only.
    ///   - keepDecoded: keep decoded images in memory (8 bits per pixel) after first use.
    public init(items: [LabeledImage], preprocessing: Preprocessing, keepDecoded: Bool) {
        var usable: [LabeledImage] = []
        var missing: [String] = []
        for item in items {
            if let path = item.path, FileManager.default.fileExists(atPath: path) {
                usable.append(item)
            } else {
                missing.append(item.name)
            }
        }
        images = usable
        self.missing = missing
        self.preprocessing = preprocessing
        classCount = usable.first?.labels.count ?? 14
        cache = Array(repeating: nil, count: usable.count)
        keepsDecoded = keepDecoded
    }

    public var count: Int { images.count }

    /// The order of the images in `epoch`: a permutation drawn from (seed, epoch) alone.
    public func order(epoch: Int, seed: UInt64) -> [Int] {
        var generator = SeededGenerator(seed: TrainingBatches.mix(seed, UInt64(epoch), 0x5EED))
        var order = Array(0 ..< images.count)
        // Fisher–Yates with the generator's own index draw, so the order does not depend on
        // the standard library's shuffle algorithm.
        if order.count > 1 {
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(i, generator.nextIndex(below: i + 1))
            }
        }
        return order
    }

    /// One batch: images (N, C, S, S) as one plain row-major array, labels (N, classes) with
    /// 1/0 and a mask that is 0 where a label is uncertain (−1), and the image names.
    public struct Batch {
        public var images: [Float]
        public var labels: [Float]
        public var mask: [Float]?
        public var names: [String]
        public var count: Int { names.count }
    }

    /// The batch of `indices` (positions in `images`); `augmentation` nil gives evaluation
    /// preprocessing, otherwise each image gets its own draw from (seed, epoch, index).
    /// - Throws: `ImagingError` naming the file that cannot be decoded.
    public func batch(_ indices: [Int], epoch: Int, seed: UInt64, augment: Bool) throws -> Batch {
        let perImage = preprocessing.valuesPerImage
        var values = [Float](repeating: 0, count: indices.count * perImage)
        var labels = [Float](repeating: 0, count: indices.count * classCount)
        var mask = [Float](repeating: 1, count: indices.count * classCount)
        var uncertain = false
        for (row, index) in indices.enumerated() {
            let image = try decoded(index)
            values.withUnsafeMutableBufferPointer { buffer in
                let slice = UnsafeMutableBufferPointer(rebasing: buffer[row * perImage ..< (row + 1) * perImage])
                if augment {
                    var generator = Imaging.SeededGenerator(seed: TrainingBatches.mix(seed, UInt64(epoch), UInt64(index)))
                    preprocessing.apply(image, into: slice, generator: &generator)
                } else {
                    var plain = preprocessing
                    plain.augmentation = nil
                    plain.apply(image, into: slice)
                }
            }
            for (column, label) in images[index].labels.enumerated() {
                if label < 0 {
                    mask[row * classCount + column] = 0
                    uncertain = true
                } else {
                    labels[row * classCount + column] = Float(label)
                }
            }
        }
        return Batch(images: values, labels: labels, mask: uncertain ? mask : nil, names: indices.map { images[$0].name })
    }

    private func decoded(_ index: Int) throws -> GrayscaleImage {
        if let image = cache[index] { return image }
        let image = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: images[index].path!))
        if keepsDecoded { cache[index] = image }
        return image
    }

    /// A seed made of three numbers (SplitMix64 finalizer over their combination).
    static func mix(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        var generator = SeededGenerator(seed: a ^ (b &* 0x9E37_79B9_7F4A_7C15) ^ (c &* 0xC2B2_AE3D_27D4_EB4F))
        return generator.next()
    }
}

import Foundation
import Imaging
import Store

/// The batches of one epoch, produced by background threads a bounded distance ahead of the
/// consumer. A `Sequence` that is its own iterator; single pass, for one consuming thread.
///
/// Workers claim sample positions in order, but never more than `prefetchBatches` batches
/// ahead of the batch being consumed, and write each preprocessed image straight into its
/// batch's slot buffer. The consumer waits for its batch to be complete, then copies the
/// images that decoded into a `Batch`. Which thread decodes what never changes a batch.
public final class EpochBatches: Sequence, IteratorProtocol {
    private let work: EpochWork

    init(loader: DataLoader, epoch: Int, first: Int) {
        work = EpochWork(loader: loader, epoch: epoch, first: first)
    }

    /// Dropping the iterator stops its threads (they hold only the shared state, not this).
    deinit { work.stop() }

    /// The next batch in order, waiting for the workers when needed; nil after the last.
    public func next() -> Batch? { work.next() }
}

/// The state shared by an `EpochBatches` and its worker threads.
// @unchecked Sendable: the mutable fields are touched only under `condition`, the rest are constants.
private final class EpochWork: @unchecked Sendable {
    private let loader: DataLoader
    private let epoch: Int
    private let order: [Int]
    private let batchSize: Int
    private let valuesPerImage: Int
    private let endBatch: Int
    private var current: Int

    // Shared with the workers, under `condition`.
    private let condition = NSCondition()
    private var nextPosition: Int
    private var slots: [Int: Slot] = [:]
    private var freeBuffers: [UnsafeMutableBufferPointer<Float>] = []
    private var stopped = false
    private var running = 0

    /// A batch being filled: one buffer of batchSize images, and per image the decode error.
    private final class Slot {
        let buffer: UnsafeMutableBufferPointer<Float>
        let count: Int
        var errors: [String?]
        var remaining: Int
        init(buffer: UnsafeMutableBufferPointer<Float>, count: Int) {
            self.buffer = buffer
            self.count = count
            errors = Array(repeating: nil, count: count)
            remaining = count
        }
    }

    init(loader: DataLoader, epoch: Int, first: Int) {
        self.loader = loader
        self.epoch = epoch
        order = loader.order(epoch: epoch)
        batchSize = loader.configuration.batchSize
        valuesPerImage = loader.configuration.preprocessing.valuesPerImage
        endBatch = loader.batchCount
        current = Swift.min(first, endBatch)
        nextPosition = current * batchSize
        let threads = Swift.min(loader.configuration.threads, Swift.max(1, (endBatch - current) * batchSize))
        if current < endBatch {
            running = threads
            for _ in 0..<threads {
                let thread = Thread { [self] in runWorker() }
                thread.name = "thorax-loader"
                thread.start()
            }
        }
    }

    deinit {
        for slot in slots.values { slot.buffer.deallocate() }
        for buffer in freeBuffers { buffer.deallocate() }
    }

    /// Stops the workers and waits for them to leave (they finish the image in hand).
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }

    private var endPosition: Int { Swift.min(endBatch * batchSize, order.count) }

    private func runWorker() {
        condition.lock()
        while true {
            while !stopped && nextPosition < endPosition
                && nextPosition / batchSize >= current + loader.configuration.prefetchBatches {
                condition.wait()
            }
            if stopped || nextPosition >= endPosition { break }
            let position = nextPosition
            nextPosition += 1
            let batch = position / batchSize
            let slot = slots[batch] ?? makeSlot(batch)
            condition.unlock()

            let offset = position - batch * batchSize
            let output = UnsafeMutableBufferPointer(rebasing:
                slot.buffer[(offset * valuesPerImage)..<((offset + 1) * valuesPerImage)])
            let error = loader.load(order[position], epoch: epoch, into: output)

            condition.lock()
            slot.errors[offset] = error
            slot.remaining -= 1
            if slot.remaining == 0 { condition.broadcast() }
        }
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Makes batch `batch`'s slot, reusing a freed buffer; call with the lock held.
    private func makeSlot(_ batch: Int) -> Slot {
        let count = Swift.min(batchSize, endPosition - batch * batchSize)
        let buffer = freeBuffers.popLast()
            ?? UnsafeMutableBufferPointer<Float>.allocate(capacity: batchSize * valuesPerImage)
        let slot = Slot(buffer: buffer, count: count)
        slots[batch] = slot
        return slot
    }

    /// The next batch with at least one image (a batch whose every image failed is skipped).
    func next() -> Batch? {
        while current < endBatch {
            if let batch = nextBatch(), batch.count > 0 { return batch }
        }
        return nil
    }

    private func nextBatch() -> Batch? {
        guard current < endBatch else { return nil }
        let batchIndex = current
        condition.lock()
        while slots[batchIndex].map({ $0.remaining > 0 }) ?? true { condition.wait() }
        let slot = slots.removeValue(forKey: batchIndex)!
        current += 1
        condition.broadcast()
        condition.unlock()

        let start = batchIndex * batchSize
        var kept: [Int] = []
        for offset in 0..<slot.count {
            if let error = slot.errors[offset] {
                loader.reportUnreadable(order[start + offset], reason: error)
            } else {
                kept.append(offset)
            }
        }
        let values = valuesPerImage
        let images = [Float](unsafeUninitializedCapacity: kept.count * values) { output, initialized in
            for (index, offset) in kept.enumerated() {
                let source = UnsafeBufferPointer(rebasing: slot.buffer[(offset * values)..<((offset + 1) * values)])
                _ = UnsafeMutableBufferPointer(rebasing: output[(index * values)..<((index + 1) * values)])
                    .initialize(from: source)
            }
            initialized = kept.count * values
        }
        condition.lock()
        freeBuffers.append(slot.buffer)
        condition.unlock()

        var labels: [Float] = []
        labels.reserveCapacity(kept.count * Findings.classes.count)
        var ids: [Int64] = [], names: [String] = []
        for offset in kept {
            let image = loader.images[order[start + offset]]
            labels += image.labels
            ids.append(image.id)
            names.append(image.name)
        }
        let size = loader.configuration.preprocessing.outputSize
        return Batch(index: batchIndex, count: kept.count,
                     channels: loader.configuration.preprocessing.normalization.channels,
                     height: size, width: size, images: images, labels: labels, imageIDs: ids, names: names)
    }
}

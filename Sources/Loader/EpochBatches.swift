import Foundation
import Imaging
import Store

/// The batches of one epoch, produced by background threads a bounded distance ahead of the
/// consumer. A `Sequence` that is its own iterator; single pass, for one consuming thread.
///
/// Workers claim sample positions in order (of each batch, the loader's share), but never more
/// than `prefetchBatches` batches ahead of the batch being consumed, and write each
/// preprocessed image straight into its batch's slot buffer. The consumer waits for its batch
/// to be complete, then copies the images that decoded into a `Batch`. Which thread decodes
/// what never changes a batch.
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
    /// The next image to claim: entry `nextEntry` of batch `nextBatch`'s share.
    private var nextBatch: Int
    private var nextEntry = 0
    private var slots: [Int: Slot] = [:]
    private var freeBuffers: [UnsafeMutableBufferPointer<Float>] = []
    private var stopped = false
    private var running = 0

    /// A batch being filled: one buffer of up to batchSize images, the positions in the epoch's
    /// order of the images it holds (the loader's share of the batch), and per image the decode
    /// error.
    private final class Slot {
        let buffer: UnsafeMutableBufferPointer<Float>
        let positions: [Int]
        var errors: [String?]
        var remaining: Int
        var count: Int { positions.count }
        init(buffer: UnsafeMutableBufferPointer<Float>, positions: [Int]) {
            self.buffer = buffer
            self.positions = positions
            errors = Array(repeating: nil, count: positions.count)
            remaining = positions.count
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
        nextBatch = current
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
            while !stopped && nextBatch < endBatch && nextBatch >= current + loader.configuration.prefetchBatches {
                condition.wait()
            }
            if stopped || nextBatch >= endBatch { break }
            let batch = nextBatch
            let slot = slots[batch] ?? makeSlot(batch)
            guard nextEntry < slot.count else {
                // An empty share (a batch smaller than the number of shares): nothing to decode.
                (nextBatch, nextEntry) = (batch + 1, 0)
                condition.broadcast()
                continue
            }
            let offset = nextEntry
            nextEntry += 1
            if nextEntry == slot.count { (nextBatch, nextEntry) = (batch + 1, 0) }
            condition.unlock()

            let output = UnsafeMutableBufferPointer(rebasing:
                slot.buffer[(offset * valuesPerImage)..<((offset + 1) * valuesPerImage)])
            let error = loader.load(order[slot.positions[offset]], epoch: epoch, into: output)

            condition.lock()
            slot.errors[offset] = error
            slot.remaining -= 1
            if slot.remaining == 0 { condition.broadcast() }
        }
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Makes batch `batch`'s slot for the loader's share of it, reusing a freed buffer; call
    /// with the lock held.
    private func makeSlot(_ batch: Int) -> Slot {
        let start = batch * batchSize
        let count = Swift.min(batchSize, endPosition - start)
        let offsets = loader.configuration.share.map { $0(count) } ?? Array(0 ..< count)
        precondition(offsets.allSatisfy { (0 ..< count).contains($0) }, "a share names positions outside its batch of \(count)")
        let buffer = freeBuffers.popLast()
            ?? UnsafeMutableBufferPointer<Float>.allocate(capacity: batchSize * valuesPerImage)
        let slot = Slot(buffer: buffer, positions: offsets.map { start + $0 })
        slots[batch] = slot
        return slot
    }

    /// The next batch with at least one image (a batch whose every image failed is skipped), or
    /// with a share, the next batch also when empty, so that every share takes every step.
    func next() -> Batch? {
        while current < endBatch {
            if let batch = takeBatch(), batch.count > 0 || loader.configuration.share != nil { return batch }
        }
        return nil
    }

    private func takeBatch() -> Batch? {
        guard current < endBatch else { return nil }
        let batchIndex = current
        condition.lock()
        while slots[batchIndex].map({ $0.remaining > 0 }) ?? true { condition.wait() }
        let slot = slots.removeValue(forKey: batchIndex)!
        current += 1
        condition.broadcast()
        condition.unlock()

        var kept: [Int] = []
        for offset in 0..<slot.count {
            if let error = slot.errors[offset] {
                loader.reportUnreadable(order[slot.positions[offset]], reason: error)
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
            let image = loader.images[order[slot.positions[offset]]]
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

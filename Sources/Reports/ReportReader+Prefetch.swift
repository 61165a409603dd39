import Foundation

extension ReportReader {
    /// The same results in the same order, read ahead on a background thread in batches, so
    /// that reading and parsing overlap with the caller's work (labelling, writing).
    ///
    /// Memory stays bounded: at most `depth` batches of `batchSize` results wait at any time;
    /// the reader thread blocks until the consumer takes one. The thread ends when all inputs are
    /// read, or soon after the sequence is released unfinished.
    public func prefetchedBatches(batchSize: Int = 256, depth: Int = 4) -> PrefetchedBatches {
        PrefetchedBatches(reader: self, batchSize: Swift.max(1, batchSize), depth: Swift.max(1, depth))
    }

    /// A sequence of result batches read ahead by a background thread (see `prefetchedBatches`).
    public final class PrefetchedBatches: Sequence, IteratorProtocol {
        public typealias Element = [Result<Report, ReportReadError>]
        private let channel: BatchChannel

        init(reader: ReportReader, batchSize: Int, depth: Int) {
            let channel = BatchChannel(depth: depth)
            self.channel = channel
            let thread = Thread {
                var batch: Element = []
                batch.reserveCapacity(batchSize)
                for result in reader {
                    batch.append(result)
                    if batch.count == batchSize {
                        guard channel.push(batch) else { return }
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                if !batch.isEmpty { _ = channel.push(batch) }
                channel.finish()
            }
            thread.name = "thorax-report-reader"
            thread.start()
        }

        deinit { channel.abandon() }

        /// The next batch in input order, nil when everything has been read.
        public func next() -> Element? { channel.pop() }
    }
}

/// A bounded first-in first-out queue of batches between one producer and one consumer thread.
// @unchecked Sendable: every mutable field is touched only under `condition`.
final class BatchChannel: @unchecked Sendable {
    typealias Batch = [Result<Report, ReportReadError>]
    // Every field below is guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [Batch] = []
    private var finished = false
    private var abandoned = false
    private let depth: Int

    init(depth: Int) { self.depth = depth }

    /// Waits for room, then queues `batch`; false when the consumer has gone.
    func push(_ batch: Batch) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= depth && !abandoned { condition.wait() }
        guard !abandoned else { return false }
        queue.append(batch)
        condition.broadcast()
        return true
    }

    /// Marks the end of the input.
    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Tells the producer to stop.
    func abandon() {
        condition.lock()
        abandoned = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch, waiting for one; nil after `finish()` once the queue is empty.
    func pop() -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !finished { condition.wait() }
        guard !queue.isEmpty else { return nil }
        let batch = queue.removeFirst()
        condition.broadcast()
        return batch
    }
}

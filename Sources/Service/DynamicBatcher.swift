import Foundation

/// How a model's requests are batched, as Triton's dynamic batcher: images that arrive while
/// others wait run in one forward pass of at most `maximumBatchSize`; the oldest waiting image
/// waits at most `maximumQueueDelay` (Triton's `max_queue_delay_microseconds`) for others to
/// join it, or less when the batch fills first.
public struct BatchingOptions: Sendable, Equatable {
    public var maximumBatchSize: Int
    public var maximumQueueDelay: Duration

    /// - Precondition: maximumBatchSize ≥ 1, maximumQueueDelay ≥ 0.
    public init(maximumBatchSize: Int = 8, maximumQueueDelay: Duration = .milliseconds(2)) {
        precondition(maximumBatchSize >= 1 && maximumQueueDelay >= .zero, "invalid batching options")
        self.maximumBatchSize = maximumBatchSize
        self.maximumQueueDelay = maximumQueueDelay
    }
}

/// What one forward pass did, for the metrics.
public struct BatchRecord: Sendable {
    public var size: Int
    /// The forward pass alone.
    public var execution: Duration
    /// How long each image of the batch waited in the queue.
    public var queueWaits: [Duration]
}

/// The service stopped taking work (it is shutting down).
struct BatcherStopped: Error {}

/// Runs batches of submitted items on a thread of its own, one batch at a time: at most one
/// execution of the model at a time, and none on the event loop or the concurrency pool.
///
/// The thread first runs a set-up closure, which builds what it executes with (the model, that
/// never leaves the thread) and returns the batch function; then it waits for items, forms
/// batches as `BatchingOptions` say, and resumes each submitter with its output.
/// Hand-written: no package here batches async requests onto a dedicated thread.
final class DynamicBatcher<Item: Sendable, Output: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: `pending` and `stopped` are only touched with `condition` locked; the
    // other stored properties are constants.
    private struct Pending {
        var item: Item
        var enqueued: ContinuousClock.Instant
        var continuation: CheckedContinuation<Output, any Error>
    }

    private let condition = NSCondition()
    private var pending: [Pending] = []
    private var stopped = false
    let options: BatchingOptions
    private let name: String
    private let observe: @Sendable (BatchRecord) -> Void

    /// - Parameters:
    ///   - name: the thread's name (the model's).
    ///   - observe: called on the batcher's thread after each batch.
    init(name: String, options: BatchingOptions, observe: @escaping @Sendable (BatchRecord) -> Void = { _ in }) {
        self.name = name
        self.options = options
        self.observe = observe
    }

    /// Starts the thread: it runs `setUp` (on the thread), and, when that succeeds, serves batches
    /// with the function it returned until `stop()`. Returns `setUp`'s information once it has
    /// run, or throws its error (and the thread ends).
    func start<Information: Sendable>(
        _ setUp: @escaping @Sendable () throws -> (Information, ([Item]) throws -> [Output])
    ) async throws -> Information {
        try await withCheckedThrowingContinuation { (started: CheckedContinuation<Information, any Error>) in
            let thread = Thread { [self] in
                let execute: ([Item]) throws -> [Output]
                do {
                    let (information, function) = try setUp()
                    execute = function
                    started.resume(returning: information)
                } catch {
                    started.resume(throwing: error)
                    return
                }
                serve(execute)
            }
            thread.name = "thorax.model.\(name)"
            thread.start()
        }
    }

    /// Queues `item` and returns its output once its batch has run. Throws the batch's error,
    /// or `BatcherStopped` after `stop()`.
    func submit(_ item: Item) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            guard !stopped else {
                continuation.resume(throwing: BatcherStopped())
                return
            }
            pending.append(Pending(item: item, enqueued: .now, continuation: continuation))
            condition.broadcast()
        }
    }

    /// Stops taking items; the items already queued still run, then the thread ends.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// The thread's loop: wait for an item, wait for the batch to fill or the oldest item's
    /// delay to pass, run it, resume its submitters.
    private func serve(_ execute: ([Item]) throws -> [Output]) {
        let clock = ContinuousClock()
        condition.lock()
        while true {
            while pending.isEmpty && !stopped { condition.wait() }
            if pending.isEmpty { break }
            let deadline = pending[0].enqueued + options.maximumQueueDelay
            while pending.count < options.maximumBatchSize && !stopped {
                let left = deadline - clock.now
                if left <= .zero { break }
                let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18
                condition.wait(until: Date(timeIntervalSinceNow: seconds))
            }
            let batch = Array(pending.prefix(options.maximumBatchSize))
            pending.removeFirst(batch.count)
            condition.unlock()

            let start = clock.now
            let result = Result { try execute(batch.map(\.item)) }
            let execution = clock.now - start
            switch result {
            case .success(let outputs) where outputs.count == batch.count:
                for (entry, output) in zip(batch, outputs) { entry.continuation.resume(returning: output) }
            case .success(let outputs):
                let error = ServiceError(.internalServerError, "the model returned \(outputs.count) outputs for \(batch.count) images")
                for entry in batch { entry.continuation.resume(throwing: error) }
            case .failure(let error):
                for entry in batch { entry.continuation.resume(throwing: error) }
            }
            observe(BatchRecord(size: batch.count, execution: execution, queueWaits: batch.map { start - $0.enqueued }))
            condition.lock()
        }
        condition.unlock()
    }
}

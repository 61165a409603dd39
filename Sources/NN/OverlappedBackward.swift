import Foundation
import Tensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the weight gradients of a backward pass beside the rest of it: convolutions hand their
/// weight-gradient computation (oneDNN's backward-weights primitive and the accumulation into
/// `weight.gradient`) to a second thread, while the calling thread goes on down the chain of
/// input gradients (backward-data, batch norm, pooling, …).
///
/// Why: with 2 threads, oneDNN's backward-weights convolutions scale poorly (DenseNet-121, batch
/// 16: 1.2× from 1 to 2 threads for the 3×3 ones, against 1.5× for forward), and the input-gradient
/// chain and the weight gradients take about equal time on one thread each — so one thread on each
/// side beats both threads on every primitive in turn. With T threads (T even) each side gets T/2;
/// with an odd T or T = 1 nothing changes. Results are the same computations on the same values,
/// only the thread split inside each primitive differs (so float32 rounding may too).
///
/// Only inside `run(enabled:_:)` (the models' `backward` open it, as their
/// `EngineOptions.overlapsBackward` says): `Conv2d.backward` calls `submit(_:)`, which runs the
/// work at once outside it, or on a thread other than the one that opened `run`. When the queue holds more than a few pieces of work the
/// calling thread takes the oldest itself (this bounds the tensors kept alive for queued work), and
/// at the end it takes what is left before waiting for the worker: every weight gradient is
/// complete when `run` returns. Work must not depend on other queued work (each piece writes only
/// its own layer's parameter gradients; two layers sharing one parameter would race). Hand-written:
/// oneDNN 2.6 has no asynchronous CPU execution.
public enum OverlappedBackward {
    /// Pieces of work waiting beyond which the submitting thread runs the oldest itself.
    static let maximumWaiting = 4

    /// The one worker thread's queue (one per process, like a thread pool; a `run` on another
    /// thread while one is in progress runs without it).
    private static let queue = WorkQueue()

    /// Runs `body` (a backward pass) with work submitted inside it done on a second thread, each
    /// thread with half the oneDNN threads; restores the thread count and returns once all work is
    /// done. With `enabled` false, nested calls, a `run` in progress on another thread, T < 2 or
    /// an odd T it just runs `body`.
    /// - Throws: what `body` throws, else the first error of the submitted work.
    public static func run<Result>(enabled: Bool = true, _ body: () throws -> Result) throws -> Result {
        let total = Context.threadCount
        guard enabled, total >= 2, total % 2 == 0 else { return try body() }
        guard queue.open() else { return try body() }
        defer { queue.close() }
        try Context.setThreadCount(total / 2)
        queue.workerThreadCount = total / 2
        defer { try? Context.setThreadCount(total) }
        let result: Result
        do {
            result = try body()
        } catch {
            _ = queue.finish()
            throw error
        }
        if let error = queue.finish() { throw error }
        return result
    }

    /// Runs `work` on the worker thread when the calling thread is inside `run(enabled:_:)`, else at once.
    public static func submit(_ work: @escaping () throws -> Void) throws {
        guard queue.isOwnedByThisThread() else { return try work() }
        queue.add(work, maximumWaiting: maximumWaiting)
    }
}

/// A first-in first-out queue of work served by one worker thread (started on first use, with its
/// own oneDNN stream), from which the submitting thread may also take work; open to one thread's
/// `run` at a time.
// @unchecked Sendable: every stored property is read and written only with `condition` locked.
private final class WorkQueue: @unchecked Sendable {
    private let condition = NSCondition()
    /// The thread inside `OverlappedBackward.run`, or nil.
    private var owner: pthread_t?
    private var waiting: [() throws -> Void] = []
    private var workerBusy = false
    private var firstError: Error?
    private var worker: Thread?
    /// oneDNN threads for the worker; read by it before each piece of work.
    var workerThreadCount: Int {
        get { condition.lock(); defer { condition.unlock() }; return wantedWorkerThreads }
        set { condition.lock(); wantedWorkerThreads = newValue; condition.unlock() }
    }
    private var wantedWorkerThreads = 1

    /// Makes the calling thread the queue's owner; false when another `run` (on any thread, or
    /// nested on this one) already holds it.
    func open() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard owner == nil else { return false }
        owner = pthread_self()
        return true
    }

    /// Ends the calling thread's ownership (after `finish()`).
    func close() {
        condition.lock()
        owner = nil
        condition.unlock()
    }

    /// Whether the calling thread owns the queue.
    func isOwnedByThisThread() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard let owner else { return false }
        return pthread_equal(owner, pthread_self()) != 0
    }

    func add(_ work: @escaping () throws -> Void, maximumWaiting: Int) {
        condition.lock()
        if worker == nil {
            let thread = Thread { [unowned self] in self.serve() }
            thread.name = "thorax.weight-gradients"
            thread.start()
            worker = thread
        }
        waiting.append(work)
        condition.broadcast()
        while waiting.count > maximumWaiting {
            let oldest = waiting.removeFirst()
            condition.unlock()
            perform(oldest)
            condition.lock()
        }
        condition.unlock()
    }

    /// Takes the remaining work on the calling thread, waits for the worker, and returns (and
    /// clears) the first error any piece of work threw.
    func finish() -> Error? {
        condition.lock()
        while true {
            if !waiting.isEmpty {
                let oldest = waiting.removeFirst()
                condition.unlock()
                perform(oldest)
                condition.lock()
            } else if workerBusy {
                condition.wait()
            } else {
                break
            }
        }
        let error = firstError
        firstError = nil
        condition.unlock()
        return error
    }

    /// Runs one piece of work unless an earlier one failed; records its error.
    private func perform(_ work: () throws -> Void) {
        condition.lock()
        let failed = firstError != nil
        condition.unlock()
        if failed { return }
        do {
            try work()
        } catch {
            condition.lock()
            if firstError == nil { firstError = error }
            condition.unlock()
        }
    }

    private func serve() {
        do {
            try Context.shared.useOwnStreamOnThisThread()
        } catch {
            condition.lock()
            firstError = error
            condition.unlock()
        }
        var threads = 0
        condition.lock()
        // One piece of work per call of `serveOldest`, not inline here: in a debug build (-Onone)
        // Swift 6.3 never releases a closure taken out of the array inside this endless loop and
        // passed on to `perform`, so every piece of work leaked with the tensors it captured
        // (LeakSanitizer, scripts/memcheck; a function scope releases it).
        while true {
            while waiting.isEmpty { condition.wait() }
            serveOldest(threads: &threads)
        }
    }

    /// Takes the oldest piece of work (the lock held on entry and again on return) and performs it
    /// with the lock released, on `wantedWorkerThreads` oneDNN threads.
    private func serveOldest(threads: inout Int) {
        let work = waiting.removeFirst()
        workerBusy = true
        let wanted = wantedWorkerThreads
        condition.unlock()
        if wanted != threads {
            try? Context.setThreadCount(wanted)
            threads = wanted
        }
        perform(work)
        condition.lock()
        workerBusy = false
        condition.broadcast()
    }
}

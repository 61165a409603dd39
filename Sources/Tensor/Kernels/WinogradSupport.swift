import Dispatch
import Foundation

/// What the hand-written Winograd kernel uses: a count of its runs, the split of its transforms
/// over threads, and unaligned eight-lane loads and stores.
enum WinogradSupport {
    /// A count a kernel keeps of the runs of one path, read by tests to see that a layer took
    /// it; incremented under a lock since an overlapped backward's worker thread runs the weight
    /// gradients.
    // @unchecked Sendable: `count` is read and written only with `lock` held.
    final class RunCounter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0

        var value: Int {
            lock.lock()
            defer { lock.unlock() }
            return count
        }

        func increment() {
            lock.lock()
            count += 1
            lock.unlock()
        }
    }

    /// Runs `body(index)` for index 0 ..< count, split into contiguous ranges over the calling
    /// thread's oneDNN thread count (`Context.threadCount`), concurrently when that is above one.
    static func forEachIndex(_ count: Int, _ body: (Int) -> Void) {
        let parts = min(Context.threadCount, count)
        if parts <= 1 {
            for index in 0 ..< count { body(index) }
            return
        }
        concurrentPerform(parts: parts) { part in
            for index in count * part / parts ..< count * (part + 1) / parts { body(index) }
        }
    }

    /// Eight floats from `pointer` on (the callers' buffers are checked once per call).
    @inline(__always) static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Eight floats to `pointer` on (the callers' buffers are checked once per call).
    @inline(__always) static func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
    }
}

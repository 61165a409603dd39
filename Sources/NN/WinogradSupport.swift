import Dispatch
import Foundation

/// What `WinogradWeightGradient` and `WinogradConvolution` share: a count of their runs, the split
/// of their transforms over threads, and unaligned eight-lane loads and stores.
enum WinogradSupport {
    /// A process-wide count, read by tests to see that a layer took a path; incremented under a
    /// lock since the overlap's worker thread runs the weight gradients.
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

    /// Runs `body(part)` for part 0 ..< parts, concurrently when there is more than one.
    static func forEachPart(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 { return body(0) }
        DispatchQueue.concurrentPerform(iterations: parts, execute: body)
    }

    @inline(__always) static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always) static func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
    }
}

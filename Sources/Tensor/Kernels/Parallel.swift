import Dispatch

/// Runs `body(part)` for part in 0 ..< parts on several threads at once (libdispatch's
/// `concurrentPerform`, which wants a `@Sendable` body) and returns when all have run. The
/// kernels' bodies read shared input and write disjoint parts of their outputs through raw
/// pointers, which the compiler cannot see are safe to share; this wrapper is the one place that
/// says so.
func concurrentPerform(parts: Int, _ body: (Int) -> Void) {
    withoutActuallyEscaping(body) { body in
        let shared = SharedAcrossThreads(body)
        DispatchQueue.concurrentPerform(iterations: parts) { shared.value($0) }
    }
}

/// A value handed to the threads of `concurrentPerform(parts:_:)`.
// @unchecked Sendable: it lives only for that call, and the bodies given write disjoint memory.
private struct SharedAcrossThreads<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

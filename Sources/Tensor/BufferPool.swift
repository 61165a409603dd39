#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Recycles tensor buffers by byte size: a tensor's buffer goes back here when the tensor is
/// released, and the next tensor of that size takes it instead of a fresh allocation.
///
/// Backward passes make one gradient tensor per layer, used once by the layer before; with the
/// pool only a few gradients are alive at a time (peak memory stays near PyTorch's, which frees
/// them the same way), and after the first training step no buffer is allocated or page-faulted
/// again. Hand-written: oneDNN 2.6 leaves user memory to the caller.
enum BufferPool {
    private static var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private static var lock = pthread_mutex_t()
    private static let lockReady: Bool = {
        pthread_mutex_init(&lock, nil)
        return true
    }()

    /// A 64-byte aligned buffer of `bytes` bytes, recycled when one is free (contents undefined).
    static func acquire(_ bytes: Int) -> UnsafeMutableRawPointer? {
        _ = lockReady
        pthread_mutex_lock(&lock)
        let recycled = free[bytes]?.popLast()
        pthread_mutex_unlock(&lock)
        if let recycled { return recycled }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0 else { return nil }
        return raw
    }

    /// Returns a buffer for reuse.
    static func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        _ = lockReady
        pthread_mutex_lock(&lock)
        free[bytes, default: []].append(pointer)
        pthread_mutex_unlock(&lock)
    }

    /// Frees every buffer kept for reuse (memory goes back to the system allocator).
    static func drain() {
        _ = lockReady
        pthread_mutex_lock(&lock)
        for (_, pointers) in free { for pointer in pointers { Glibc.free(pointer) } }
        free = [:]
        pthread_mutex_unlock(&lock)
    }
}

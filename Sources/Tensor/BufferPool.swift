#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Recycles tensor buffers: a tensor's buffer goes back here when the tensor is released, and
/// the next tensor of that size (or a little smaller) takes it instead of a fresh allocation.
///
/// Backward passes make one gradient tensor per layer, used once by the layer before; with the
/// pool only a few gradients are alive at a time (peak memory stays near PyTorch's, which frees
/// them the same way), and after the first training step no buffer is allocated or page-faulted
/// again. Hand-written: oneDNN 2.6 leaves user memory to the caller.
///
/// With `THORAX_BUFFER_POOL=0` in the environment nothing is recycled: each buffer is allocated
/// with exactly the bytes asked for and freed on release, so that AddressSanitizer and valgrind
/// (scripts/memcheck) see a write past a tensor's bytes, or into a released tensor, which a
/// recycled larger or still allocated buffer would hide.
enum BufferPool {
    /// Whether buffers are recycled (read once, at first use).
    static let isEnabled: Bool = EngineSwitches.process.recyclesBuffers

    private static var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private static var lock = pthread_mutex_t()
    private static let lockReady: Bool = {
        pthread_mutex_init(&lock, nil)
        return true
    }()

    /// A 64-byte aligned buffer of at least `bytes` bytes and its capacity: the smallest free
    /// buffer that fits and wastes at most a quarter, else a fresh one (contents undefined).
    /// Reuse across nearby sizes matters for DenseNet, whose concatenations all differ in size.
    static func acquire(_ bytes: Int) -> (pointer: UnsafeMutableRawPointer, capacity: Int)? {
        guard isEnabled else { return allocate(bytes) }
        _ = lockReady
        pthread_mutex_lock(&lock)
        var best: Int?
        for capacity in free.keys where capacity >= bytes && capacity <= bytes + bytes / 4 {
            if best == nil || capacity < best! { best = capacity }
        }
        var recycled: UnsafeMutableRawPointer?
        if let best {
            recycled = free[best]!.popLast()
            if free[best]!.isEmpty { free[best] = nil }
        }
        pthread_mutex_unlock(&lock)
        if let recycled, let best { return (recycled, best) }
        return allocate(bytes)
    }

    /// A fresh 64-byte aligned buffer of exactly `bytes` bytes.
    private static func allocate(_ bytes: Int) -> (pointer: UnsafeMutableRawPointer, capacity: Int)? {
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else { return nil }
        return (raw, bytes)
    }

    /// Returns a buffer of the given capacity for reuse.
    static func release(_ pointer: UnsafeMutableRawPointer, capacity: Int) {
        guard isEnabled else { return Glibc.free(pointer) }
        _ = lockReady
        pthread_mutex_lock(&lock)
        free[capacity, default: []].append(pointer)
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

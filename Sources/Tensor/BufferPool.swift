import Foundation
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
// @unchecked Sendable: `free` is read and written only with `lock` held; `isEnabled` never changes.
final class BufferPool: @unchecked Sendable {
    /// The process's pool: every tensor allocates from it (one allocator per process, so its
    /// setting is the process's environment, not an option of a model: `EngineOptions`).
    static let shared = BufferPool(
        recycles: (try? EngineOptions.recyclesBuffers(environment: ProcessInfo.processInfo.environment)) ?? true)

    /// Whether buffers are recycled.
    let isEnabled: Bool
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private let lock = NSLock()

    init(recycles: Bool) { isEnabled = recycles }

    /// A 64-byte aligned buffer of at least `bytes` bytes and its capacity: the smallest free
    /// buffer that fits and wastes at most a quarter, else a fresh one (contents undefined).
    /// Reuse across nearby sizes matters for DenseNet, whose concatenations all differ in size.
    func acquire(_ bytes: Int) -> (pointer: UnsafeMutableRawPointer, capacity: Int)? {
        guard isEnabled else { return Self.allocate(bytes) }
        lock.lock()
        var best: Int?
        for capacity in free.keys where capacity >= bytes && capacity <= bytes + bytes / 4 {
            if best == nil || capacity < best! { best = capacity }
        }
        var recycled: UnsafeMutableRawPointer?
        if let best {
            recycled = free[best]!.popLast()
            if free[best]!.isEmpty { free[best] = nil }
        }
        lock.unlock()
        if let recycled, let best { return (recycled, best) }
        return Self.allocate(bytes)
    }

    /// A fresh 64-byte aligned buffer of exactly `bytes` bytes.
    private static func allocate(_ bytes: Int) -> (pointer: UnsafeMutableRawPointer, capacity: Int)? {
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else { return nil }
        return (raw, bytes)
    }

    /// Returns a buffer of the given capacity for reuse.
    func release(_ pointer: UnsafeMutableRawPointer, capacity: Int) {
        guard isEnabled else { return Glibc.free(pointer) }
        lock.lock()
        free[capacity, default: []].append(pointer)
        lock.unlock()
    }

    /// Frees every buffer kept for reuse (memory goes back to the system allocator).
    func drain() {
        lock.lock()
        for (_, pointers) in free { for pointer in pointers { Glibc.free(pointer) } }
        free = [:]
        lock.unlock()
    }
}

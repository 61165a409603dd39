internal import CDNNL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The oneDNN CPU engine and stream every tensor and primitive of the process uses, and the
/// number of OpenMP threads oneDNN runs on (a setting of each thread; a model carries its own
/// in `EngineOptions.threads`).
///
/// One context per process: oneDNN primitives are bound to an engine, and tensors made on one
/// engine are not usable on another. Primitives execute on the stream in order; `wait()` is
/// called after each execution so results are visible to Swift code at once.
// @unchecked Sendable: its handles never change after init; oneDNN engines may be used from any
// thread, and a thread that executes beside another takes its own stream (`useOwnStreamOnThisThread`).
public final class Context: @unchecked Sendable {
    /// The process-wide context, created on first use.
    public static let shared: Context = {
        do { return try Context() } catch { fatalError("oneDNN CPU engine could not be created: \(error)") }
    }()

    let engine: dnnl_engine_t
    let stream: dnnl_stream_t

    private init() throws {
        var engine: dnnl_engine_t?
        try checkDNNL(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create")
        var stream: dnnl_stream_t?
        try checkDNNL(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "dnnl_stream_create")
        self.engine = engine!
        self.stream = stream!
    }

    /// The stream primitives executed on the calling thread run on: the shared `stream`, unless the
    /// thread took its own with `useOwnStreamOnThisThread()`.
    var currentStream: dnnl_stream_t {
        // The key holds only a dnnl_stream_t, set by `useOwnStreamOnThisThread()`.
        if let own = pthread_getspecific(Context.streamKey) { return OpaquePointer(own) }
        return stream
    }

    /// Gives the calling thread a stream of its own, so that a worker thread executing primitives
    /// while another thread does never shares a stream with it (oneDNN streams are not promised
    /// to be thread-safe; primitives are, and each thread has its own library scratchpad).
    /// The stream lives as long as the thread (the key's destructor destroys it when the thread
    /// exits). Calling it again on the same thread does nothing.
    public func useOwnStreamOnThisThread() throws {
        guard pthread_getspecific(Context.streamKey) == nil else { return }
        var own: dnnl_stream_t?
        try checkDNNL(dnnl_stream_create(&own, engine, dnnl_stream_default_flags.rawValue), "dnnl_stream_create")
        pthread_setspecific(Context.streamKey, UnsafeRawPointer(own!))
    }

    /// A buffer of at least `bytes` bytes owned by the calling thread, for the scratchpad of the
    /// primitive it is executing (one at a time per thread); grown when too small, kept for the
    /// thread's life (the key's destructor releases it when the thread exits).
    /// - Returns: a buffer of at least `bytes` bytes (`ScratchpadBuffer` checks).
    func scratchpadOfThisThread(bytes: Int) throws -> UnsafeMutableRawPointer {
        let buffer: ScratchpadBuffer
        // The key holds only a retained ScratchpadBuffer, set below.
        if let existing = pthread_getspecific(Context.scratchpadKey) {
            buffer = Unmanaged<ScratchpadBuffer>.fromOpaque(existing).takeUnretainedValue()
        } else {
            buffer = ScratchpadBuffer()
            pthread_setspecific(Context.scratchpadKey, Unmanaged.passRetained(buffer).toOpaque())
        }
        return try buffer.pointer(atLeast: bytes)
    }

    // Each key's destructor runs when a thread that set it exits: a worker thread's stream and
    // scratchpad go with it rather than leaking.
    private static let scratchpadKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { value in
            // The value is the ScratchpadBuffer retained by `scratchpadOfThisThread(bytes:)`.
            guard let value else { return }
            Unmanaged<ScratchpadBuffer>.fromOpaque(value).release()
        }
        return key
    }()

    private static let streamKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { value in
            // The value is the dnnl_stream_t created by `useOwnStreamOnThisThread()`.
            guard let value else { return }
            dnnl_stream_destroy(OpaquePointer(value))
        }
        return key
    }()

    /// The number of threads oneDNN's primitives use on the calling thread (OpenMP's maximum;
    /// each thread has its own setting).
    public static var threadCount: Int { Int(omp_get_max_threads()) }

    /// Sets the number of threads oneDNN's primitives use when run from the calling thread (and
    /// from threads that have not set their own); `nil` means all cores. Primitives fix their
    /// work split when created, so create and run each one under the same count.
    /// - Throws: `TensorError.invalidArgument` for a count below 1.
    public static func setThreadCount(_ count: Int?) throws {
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let wanted = count ?? max(cores, 1)
        guard wanted >= 1 else { throw TensorError.invalidArgument("thread count must be at least 1, got \(wanted)") }
        omp_set_num_threads(Int32(wanted))
    }

    /// Makes the calling thread's setting `count` threads (as `setThreadCount(_:)`) unless it is
    /// already; nil leaves it alone. The models call it with `EngineOptions.threads` at the start
    /// of each forward and backward, so a model runs on its own count on whichever thread runs
    /// it (a server's batcher thread, a replica's). When nothing changes it costs a read of the
    /// thread's OpenMP setting and an integer compare.
    /// - Throws: `TensorError.invalidArgument` for a count below 1.
    public static func applyThreadCount(_ count: Int?) throws {
        guard let count, count != Int(omp_get_max_threads()) else { return }
        try setThreadCount(count)
    }

    /// The instruction set oneDNN's kernels dispatch to: the CPU's best, or less when capped by
    /// `ONEDNN_MAX_CPU_ISA` (read by oneDNN on first use).
    public static var instructionSet: String {
        let isa = dnnl_get_effective_cpu_isa()
        switch isa {
        case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx"
        case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core: return "avx512_core"
        case dnnl_cpu_isa_avx512_mic, dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic"
        case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni"
        case dnnl_cpu_isa_avx2: return "avx2"
        case dnnl_cpu_isa_avx: return "avx"
        case dnnl_cpu_isa_sse41: return "sse41"
        default: return "isa 0x\(String(isa.rawValue, radix: 16))"
        }
    }

    /// Floats per vector register of the kernels oneDNN dispatches to: 16 with AVX-512, 8 with
    /// AVX or AVX2, 4 with SSE4.1. Layout rules that depend on the kernels' width read it here.
    public static var vectorWidth: Int {
        let isa = dnnl_get_effective_cpu_isa().rawValue
        // The AVX-512 values all carry bit 0x8 (mic) or 0x20 (core); AVX and AVX2 carry 0x2.
        if isa & 0x28 != 0 { return 16 }
        if isa & 0x2 != 0 { return 8 }
        return 4
    }

    /// The oneDNN version string, e.g. "2.6.3".
    public static var oneDNNVersion: String {
        let version = dnnl_version()!.pointee
        return "\(version.major).\(version.minor).\(version.patch)"
    }
}

/// One thread's scratchpad memory (see `Context.scratchpadOfThisThread(bytes:)`).
private final class ScratchpadBuffer {
    private var pointer: UnsafeMutableRawPointer?
    private var capacity = 0

    deinit { free(pointer) }

    /// A buffer of `capacity` ≥ `bytes` bytes: the kept one when large enough, else a new one.
    func pointer(atLeast bytes: Int) throws -> UnsafeMutableRawPointer {
        if let pointer, capacity >= bytes { return pointer }
        free(pointer)
        pointer = nil
        capacity = 0
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            throw TensorError.invalidArgument("could not allocate a scratchpad of \(bytes) bytes")
        }
        pointer = raw
        capacity = bytes
        return raw
    }
}

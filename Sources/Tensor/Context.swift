import CDNNL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The oneDNN CPU engine and stream every tensor and primitive of the process uses, and the
/// number of OpenMP threads oneDNN runs on.
///
/// One context per process: oneDNN primitives are bound to an engine, and tensors made on one
/// engine are not usable on another. Primitives execute on the stream in order; `wait()` is
/// called after each execution so results are visible to Swift code at once.
public final class Context: @unchecked Sendable {
    /// The process-wide context, created on first use.
    public static let shared: Context = {
        do { return try Context() } catch { fatalError("oneDNN CPU engine could not be created: \(error)") }
    }()

    public let engine: dnnl_engine_t
    public let stream: dnnl_stream_t

    private init() throws {
        var engine: dnnl_engine_t?
        try checkDNNL(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create")
        var stream: dnnl_stream_t?
        try checkDNNL(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "dnnl_stream_create")
        self.engine = engine!
        self.stream = stream!
    }

    /// The number of threads oneDNN's primitives use (OpenMP's maximum).
    public static var threadCount: Int { Int(omp_get_max_threads()) }

    /// Sets the number of threads oneDNN's primitives use; `nil` means all cores.
    /// - Throws: `TensorError.invalidArgument` for a count below 1.
    public static func setThreadCount(_ count: Int?) throws {
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let wanted = count ?? max(cores, 1)
        guard wanted >= 1 else { throw TensorError.invalidArgument("thread count must be at least 1, got \(wanted)") }
        omp_set_num_threads(Int32(wanted))
    }

    /// The oneDNN version string, e.g. "2.6.3".
    public static var oneDNNVersion: String {
        let version = dnnl_version()!.pointee
        return "\(version.major).\(version.minor).\(version.patch)"
    }
}

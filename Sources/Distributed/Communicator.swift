import CMPI
import Foundation

/// The processes of one MPI job (its ranks), as `MPI_COMM_WORLD`: every process that `mpirun`
/// or `srun` started, each knowing its rank in `0..<size`.
///
/// MPI is initialized at most once per process and never again after `finalize()`; this type
/// asks MPI (`MPI_Initialized`, `MPI_Finalized`) instead of keeping a flag of its own. The
/// communicator's error handler is `MPI_ERRORS_RETURN`, so a failed call comes back as a
/// `DistributedError` naming the rank and the call instead of MPI's default, which aborts the
/// job without saying where.
///
/// Collective calls (allreduce, broadcast, gather, barrier) must be made by every rank in the
/// same order. A rank that throws and stops calling them leaves the others waiting: a program
/// runs its work inside `abortingOnError(_:)`, which ends every rank with the error's message.
///
/// Not `Sendable`: MPI runs at `MPI_THREAD_SERIALIZED`, which allows calls from any thread but
/// never two at once — what a value confined to one concurrency domain guarantees.
public final class Communicator {
    /// This process's rank, in `0..<size`.
    public let rank: Int
    /// The number of ranks.
    public let size: Int
    let handle: MPI_Comm
    /// Whether this value made its handle (`duplicate()`) and frees it when released; the
    /// world communicator is MPI's own.
    private let ownsHandle: Bool

    private init(handle: MPI_Comm, rank: Int, size: Int, ownsHandle: Bool = false) {
        self.handle = handle
        self.rank = rank
        self.size = size
        self.ownsHandle = ownsHandle
    }

    deinit {
        guard ownsHandle else { return }
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 {
            var freed: MPI_Comm? = handle
            MPI_Comm_free(&freed)
        }
    }

    /// A communicator over the same ranks whose collectives never match this one's
    /// (`MPI_Comm_dup`; collective). Collectives started from different threads of work — the
    /// gradient buckets, started as backward makes them ready, and the blocking reductions of
    /// the step in their fixed order — each get their own, so that the ranks may interleave
    /// the two streams differently without mismatching them. Throws MPI's error.
    public func duplicate() throws(DistributedError) -> Communicator {
        var duplicate: MPI_Comm?
        try check(MPI_Comm_dup(handle, &duplicate), "MPI_Comm_dup")
        guard let duplicate else { throw failure("MPI_Comm_dup", "MPI returned no communicator") }
        // MPI_Comm_dup copies the error handler: failures come back as errors here too.
        return Communicator(handle: duplicate, rank: rank, size: size, ownsHandle: true)
    }

    /// Initializes MPI (once per process) and returns the world communicator.
    ///
    /// Throws when MPI was finalized already (it cannot start again in the same process), when
    /// it cannot serve calls from more than one thread (`MPI_THREAD_SERIALIZED`), or when a
    /// query fails. A failure inside `MPI_Init_thread` itself ends the process: MPI reports it
    /// before any error handler can be set.
    public static func world() throws(DistributedError) -> Communicator {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized != 0 {
            throw DistributedError(rank: nil, size: nil, call: "MPI_Init_thread",
                                   reason: "MPI was finalized in this process; it cannot be initialized again")
        }
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        var provided: Int32 = 0
        let required = Int32(MPI_THREAD_SERIALIZED)
        if initialized == 0 {
            let code = MPI_Init_thread(nil, nil, required, &provided)
            if code != MPI_SUCCESS {
                throw DistributedError(rank: nil, size: nil, call: "MPI_Init_thread", code: code,
                                       reason: "MPI could not be initialized (error code \(code))")
            }
        } else {
            MPI_Query_thread(&provided)
        }
        if provided < required {
            throw DistributedError(rank: nil, size: nil, call: "MPI_Init_thread",
                                   reason: "MPI provides thread level \(provided); MPI_THREAD_SERIALIZED (\(required)) is needed")
        }
        let world = mpi_shim_comm_world()
        func check(_ code: Int32, _ call: String) throws(DistributedError) {
            if code != MPI_SUCCESS { throw mpiError(code, call, rank: nil, size: nil) }
        }
        try check(MPI_Comm_set_errhandler(world, mpi_shim_errors_return()), "MPI_Comm_set_errhandler")
        var rank: Int32 = 0, size: Int32 = 0
        try check(MPI_Comm_rank(world, &rank), "MPI_Comm_rank")
        try check(MPI_Comm_size(world, &size), "MPI_Comm_size")
        return Communicator(handle: world, rank: Int(rank), size: Int(size))
    }

    /// Ends MPI for this process (collective: every rank calls it). Calling it again is a no-op;
    /// no communicator may be used afterwards.
    public func finalize() throws(DistributedError) {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized != 0 { return }
        try check(MPI_Finalize(), "MPI_Finalize")
    }

    /// Returns once every rank has called it.
    public func barrier() throws(DistributedError) {
        try check(MPI_Barrier(handle), "MPI_Barrier")
    }

    /// Writes "Error: rank R of N: `message`" to standard error and ends every rank of the job
    /// (`MPI_Abort`); the launcher exits with a non-zero status.
    public func abort(_ message: String) -> Never {
        FileHandle.standardError.write(Data("Error: rank \(rank) of \(size): \(message)\n".utf8))
        MPI_Abort(handle, 1)
        exit(1)  // MPI_Abort does not return; this satisfies Never should an implementation do so
    }

    /// Runs `body`; if it throws, ends every rank with the error's message (`abort(_:)`), so a
    /// failure on one rank never leaves the others waiting in a collective.
    public func abortingOnError<Result>(_ body: () throws -> Result) -> Result {
        do {
            return try body()
        } catch let error as DistributedError where error.rank == rank {
            abort(error.detail)
        } catch {
            abort("\(error)")
        }
    }

    /// The lowest rank on which `failed` is true, or nil when it is false on every rank
    /// (collective). A job checks its setup with it before the first collective of the work,
    /// so that a failure on some ranks ends every rank cleanly with one message, the lowest
    /// failing rank's. Throws MPI's error.
    public func lowestRank(where failed: Bool) throws(DistributedError) -> Int? {
        let lowest = try extremes(of: [Int64(failed ? rank : size)], "lowestRank")[0].minimum
        return lowest < Int64(size) ? Int(lowest) : nil
    }

    /// This rank's share of each global batch.
    public var shard: StridedShard {
        StridedShard(uncheckedRank: rank, size: size)
    }
}

import CMPI

/// A non-blocking allreduce in flight over a float buffer (`MPI_Iallreduce`).
///
/// MPI moves the data forward only while some MPI call runs on this rank: call `test()` now
/// and then while computing, and `wait()` for the result. If the request is released before
/// completing, its deinit waits, so MPI never writes into freed memory.
public final class AllreduceRequest {
    let communicator: Communicator
    let buffer: UnsafeMutableBufferPointer<Float>
    let operation: ReduceOperation
    private let ownsBuffer: Bool
    /// MPI's request while in flight; nil once complete.
    private var handle: MPI_Request?

    /// Starts the reduction. MPI is called before any property is set, so a failed start
    /// throws without running deinit (which would wait on, or free, what it does not own).
    init(communicator: Communicator, buffer: UnsafeMutableBufferPointer<Float>, operation: ReduceOperation,
         ownsBuffer: Bool) throws(DistributedError) {
        let count = try communicator.mpiCount(buffer.count, "MPI_Iallreduce")
        var request: MPI_Request? = nil
        try communicator.check(MPI_Iallreduce(UnsafeRawPointer(mpi_shim_in_place()), UnsafeMutableRawPointer(buffer.baseAddress),
                                              count, mpi_shim_float(), mpi_shim_sum(), communicator.handle, &request),
                               "MPI_Iallreduce")
        self.communicator = communicator
        self.buffer = buffer
        self.operation = operation
        self.ownsBuffer = ownsBuffer
        self.handle = request
    }

    /// Whether the result is in the buffer.
    public var isComplete: Bool { handle == nil }

    /// Lets MPI progress the reduction; returns whether it is complete (then the buffer holds
    /// the result). Throws MPI's error.
    @discardableResult
    public func test() throws(DistributedError) -> Bool {
        guard handle != nil else { return true }
        var request = handle
        var flag: Int32 = 0
        let code = MPI_Test(&request, &flag, mpi_shim_status_ignore())
        if code != MPI_SUCCESS {
            handle = nil
            throw communicator.mpiError(code, "MPI_Test")
        }
        if flag != 0 { complete() }
        return flag != 0
    }

    /// Returns when the reduction is complete and its result is in the buffer. Throws MPI's
    /// error; waiting again returns at once.
    public func wait() throws(DistributedError) {
        guard handle != nil else { return }
        var request = handle
        let code = MPI_Wait(&request, mpi_shim_status_ignore())
        if code != MPI_SUCCESS {
            handle = nil
            throw communicator.mpiError(code, "MPI_Wait")
        }
        complete()
    }

    private func complete() {
        handle = nil
        communicator.finishReduction(buffer, operation)
    }

    deinit {
        if handle != nil {
            var request = handle
            var finalized: Int32 = 0
            MPI_Finalized(&finalized)
            if finalized == 0 { _ = MPI_Wait(&request, mpi_shim_status_ignore()) }
        }
        if ownsBuffer { buffer.deallocate() }
    }
}

/// A non-blocking allreduce of an array's copy; `wait()` returns the result.
public struct ArrayAllreduceRequest {
    let request: AllreduceRequest

    /// Whether the result is ready.
    public var isComplete: Bool { request.isComplete }

    /// Lets MPI progress the reduction; returns whether it is complete.
    @discardableResult
    public func test() throws(DistributedError) -> Bool { try request.test() }

    /// The elementwise sum (or mean) over ranks, once complete.
    public func wait() throws(DistributedError) -> [Float] {
        try request.wait()
        return Array(request.buffer)
    }
}

import CMPI

/// How allreduce combines the ranks' buffers, element by element.
public enum ReduceOperation: Sendable {
    /// The sum over ranks.
    case sum
    /// The sum over ranks divided by the number of ranks (data-parallel gradient averaging).
    case average
}

extension Communicator {
    /// Replaces `buffer` on every rank with the elementwise sum (or mean) of `buffer` over all
    /// ranks; returns when done. Every rank passes the same count (not checked: a mismatch is
    /// undefined in MPI, and this is the hot path). Throws MPI's error, or when the count is
    /// over 2³¹−1.
    public func allreduce(_ buffer: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation) throws(DistributedError) {
        let count = try mpiCount(buffer.count, "MPI_Allreduce")
        try check(MPI_Allreduce(UnsafeRawPointer(mpi_shim_in_place()), UnsafeMutableRawPointer(buffer.baseAddress),
                                count, mpi_shim_float(), mpi_shim_sum(), handle), "MPI_Allreduce")
        finishReduction(buffer, operation)
    }

    /// `allreduce(_:_:)` on an array, in place.
    public func allreduce(_ values: inout [Float], _ operation: ReduceOperation) throws(DistributedError) {
        try values.withUnsafeMutableBufferPointer { (buffer) throws(DistributedError) in
            try allreduce(buffer, operation)
        }
    }

    /// Replaces `values` on every rank with their elementwise sum over all ranks, in double
    /// precision (sums that must stay exact where float32 would round, such as batch-norm
    /// moments and sample counts). Every rank passes the same count (not checked, as for
    /// floats). Throws MPI's error, or when the count is over 2³¹−1.
    public func allreduceSum(_ values: inout [Double]) throws(DistributedError) {
        let count = try mpiCount(values.count, "MPI_Allreduce")
        let code = values.withUnsafeMutableBytes { raw in
            MPI_Allreduce(UnsafeRawPointer(mpi_shim_in_place()), raw.baseAddress, count, mpi_shim_double(), mpi_shim_sum(), handle)
        }
        try check(code, "MPI_Allreduce")
    }

    /// Starts a non-blocking allreduce of `buffer` in place (`MPI_Iallreduce`) and returns at
    /// once; the result is in `buffer` after the request's `wait()`. `buffer` must stay
    /// allocated and untouched until then (the request waits in its deinit if never waited on).
    public func startAllreduce(_ buffer: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation) throws(DistributedError) -> AllreduceRequest {
        try AllreduceRequest(communicator: self, buffer: buffer, operation: operation, ownsBuffer: false)
    }

    /// Starts a non-blocking allreduce of a copy of `values`; the request's `wait()` returns
    /// the result.
    public func startAllreduce(_ values: [Float], _ operation: ReduceOperation) throws(DistributedError) -> ArrayAllreduceRequest {
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: values.count)
        _ = buffer.initialize(from: values)
        do {
            return ArrayAllreduceRequest(request: try AllreduceRequest(communicator: self, buffer: buffer,
                                                                       operation: operation, ownsBuffer: true))
        } catch {
            buffer.deallocate()
            throw error
        }
    }

    /// Applies the division of `.average` to a summed buffer.
    func finishReduction(_ buffer: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation) {
        guard case .average = operation, size > 1 else { return }
        // Division, not multiplication by 1/size: the mean of the ranks' values rounded once.
        let ranks = Float(size)
        for index in buffer.indices { buffer[index] /= ranks }
    }
}

import CMPI

extension Communicator {
    /// Throws MPI's error for `code` (anything but `MPI_SUCCESS`), naming this rank and `call`.
    func check(_ code: Int32, _ call: String) throws(DistributedError) {
        if code != MPI_SUCCESS { throw mpiError(code, call) }
    }

    /// MPI's error class and message for `code`, as raised on this rank by `call`.
    func mpiError(_ code: Int32, _ call: String) -> DistributedError {
        Self.mpiError(code, call, rank: rank, size: size)
    }

    /// MPI's error class and message for `code`, raised by `call` on `rank` (nil before the
    /// rank is known).
    static func mpiError(_ code: Int32, _ call: String, rank: Int?, size: Int?) -> DistributedError {
        var errorClass: Int32 = 0
        let classFound = MPI_Error_class(code, &errorClass) == MPI_SUCCESS
        var text = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
        var length: Int32 = 0
        let reason: String
        if MPI_Error_string(code, &text, &length) == MPI_SUCCESS {
            reason = String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        } else {
            reason = "MPI error code \(code)"
        }
        return DistributedError(rank: rank, size: size, call: call, code: code,
                                errorClass: classFound ? errorClass : nil, reason: reason)
    }

    /// An error this module detected on this rank (no MPI code).
    func failure(_ call: String, _ reason: String) -> DistributedError {
        DistributedError(rank: rank, size: size, call: call, reason: reason)
    }

    /// `count` as MPI's 32-bit element count; MPI 3 has no larger counts.
    func mpiCount(_ count: Int, _ call: String) throws(DistributedError) -> Int32 {
        guard let count32 = Int32(exactly: count) else {
            throw failure(call, "\(count) elements is over MPI's limit of \(Int32.max) per call")
        }
        return count32
    }

    /// The smallest and largest value of each entry of `values` over all ranks (one allreduce
    /// of the values and their negatives under MPI_MAX). Collective; used to check that every
    /// rank passed the same counts, so that a mismatch fails on every rank alike instead of
    /// leaving some waiting.
    func extremes(of values: [Int64], _ call: String) throws(DistributedError) -> [(minimum: Int64, maximum: Int64)] {
        var both = values + values.map { -$0 }
        let count = Int32(both.count)
        let code = both.withUnsafeMutableBytes { raw in
            MPI_Allreduce(UnsafeRawPointer(mpi_shim_in_place()), raw.baseAddress, count,
                          mpi_shim_int64(), mpi_shim_max(), handle)
        }
        try check(code, call)
        return values.indices.map { (minimum: -both[values.count + $0], maximum: both[$0]) }
    }

    /// Throws on every rank alike unless all ranks passed the same `count` of `unit`.
    func requireSameCount(_ count: Int, unit: String, _ call: String) throws(DistributedError) {
        let range = try extremes(of: [Int64(count)], call)[0]
        if range.minimum != range.maximum {
            throw failure(call, "the ranks pass different counts, from \(range.minimum) to \(range.maximum) \(unit); every rank must pass the same")
        }
    }
}

extension DistributedError {
    /// The error without its rank: what `Communicator.abort(_:)` prints after its own prefix.
    var detail: String { "\(call) failed: \(reason)" }
}

/// A failed collective operation or a misuse of this module, naming the rank and the call.
///
/// MPI's own failures carry MPI's error code and its message (`MPI_Error_string`); failures
/// this module detects itself (ranks disagreeing on a count, a value that does not encode,
/// a gradient marked twice) have no code. Errors found before any communication (a bad plan or
/// shard) have no rank.
public struct DistributedError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The rank that raised the error and the communicator's size, when known.
    public let rank: Int?
    public let size: Int?
    /// The MPI function (`MPI_Allreduce`) or the operation of this module (`gather`) that failed.
    public let call: String
    /// MPI's error code and error class, for failures MPI reported.
    public let code: Int32?
    public let errorClass: Int32?
    /// What went wrong, in words.
    public let reason: String

    public init(rank: Int?, size: Int?, call: String, code: Int32? = nil, errorClass: Int32? = nil, reason: String) {
        self.rank = rank
        self.size = size
        self.call = call
        self.code = code
        self.errorClass = errorClass
        self.reason = reason
    }

    /// An error found before any communication: invalid input to a pure planner.
    static func invalid(_ call: String, _ reason: String) -> DistributedError {
        DistributedError(rank: nil, size: nil, call: call, reason: reason)
    }

    public var description: String {
        let who = rank.map { rank in "rank \(rank)" + (size.map { " of \($0)" } ?? "") + ": " } ?? ""
        return who + detail
    }
}

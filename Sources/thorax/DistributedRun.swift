import ArgumentParser
import Distributed
import Foundation

/// A command's work on every rank of a job that `mpirun` or `srun` started
/// (`Communicator.isDistributed()`): each rank first prepares alone (checks its inputs, reads
/// its files, builds its model) without any collective call; if that failed anywhere, every
/// rank ends cleanly and only the lowest failing rank says why (so a wrong option, which fails
/// on every rank alike, is reported once). Otherwise the ranks work together, and an error on
/// any rank then ends every rank with its message (`Communicator.abortingOnError`) instead of
/// leaving the others waiting in a collective. `work` returns the rank's exit status (a report
/// that names unreadable files ends with 1), which becomes the process's once MPI has ended.
enum DistributedRun {
    static func run<Prepared>(prepare: (Communicator) throws -> Prepared,
                              work: (Prepared, Communicator) throws -> ExitCode) throws {
        let communicator = try Communicator.world()
        let prepared = Result { try prepare(communicator) }
        if let failing = try communicator.lowestRank(where: (try? prepared.get()) == nil) {
            try communicator.finalize()
            guard failing == communicator.rank, case .failure(let error) = prepared else { throw ExitCode.failure }
            if communicator.rank == 0 { throw error }
            throw RankFailure(rank: communicator.rank, size: communicator.size, error: error)
        }
        let status = communicator.abortingOnError {
            try work(prepared.get(), communicator)
        }
        try communicator.finalize()
        if status != .success { throw status }
    }
}

/// An error on a rank other than 0, named with its rank (rank 0's errors read as a single
/// process's).
struct RankFailure: Error, CustomStringConvertible {
    let rank: Int
    let size: Int
    let error: Error
    var description: String { "rank \(rank) of \(size): \(error)" }
}

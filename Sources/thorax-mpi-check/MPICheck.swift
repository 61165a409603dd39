import ArgumentParser
import Distributed

/// Checks the Distributed module's collectives under a real MPI launcher, and times allreduce:
///
///     mpirun -np 2 thorax-mpi-check verify
///     mpirun -np 2 thorax-mpi-check fail --rank 1
///     mpirun -np 2 thorax-mpi-check bench
@main
struct MPICheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thorax-mpi-check",
        abstract: "Checks the MPI collectives against exact expected values (run under mpirun).",
        subcommands: [Verify.self, Fail.self, Bench.self],
        defaultSubcommand: Verify.self)
}

/// Every check on every rank; a mismatch ends all ranks with its message and a non-zero status.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Checks allreduce, broadcast, gather, non-blocking requests, gradient buckets and errors.")

    func run() throws {
        let communicator = try Communicator.world()
        let passed = communicator.abortingOnError {
            guard communicator.size >= 2 else {
                throw CheckFailure("verify needs at least 2 ranks (run it as mpirun -np 2 thorax-mpi-check verify)")
            }
            let checks = CollectiveChecks(communicator: communicator)
            try checks.runAll()
            try communicator.barrier()
            return checks.names
        }
        if communicator.rank == 0 {
            print("verified on \(communicator.size) ranks: \(passed.joined(separator: ", "))")
        }
        try communicator.finalize()
    }
}

/// One rank fails while the others wait in a collective: the job must end at once, all ranks,
/// with that rank's one message.
struct Fail: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Throws on one rank while the others wait in an allreduce; the job must end, not hang.")

    @Option(help: "The rank that throws.")
    var rank = 1

    func run() throws {
        let communicator = try Communicator.world()
        communicator.abortingOnError {
            try communicator.barrier()
            if communicator.rank == rank { throw CheckFailure("simulated failure on rank \(rank)") }
            var values: [Float] = [1, 2, 3]
            try communicator.allreduce(&values, .sum)  // never completes: the failed rank does not join
        }
        try communicator.finalize()
    }
}

/// A check that did not hold: what was expected and what came.
struct CheckFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

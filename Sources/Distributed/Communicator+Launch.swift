import Foundation

extension Communicator {
    /// Environment variables an MPI launcher sets in every process it starts: Open MPI's
    /// `mpirun` (OMPI_COMM_WORLD_*), Slurm's `srun --mpi=pmix` (PMIX_RANK) and
    /// `srun --mpi=pmi2` (PMI_RANK, PMI_SIZE). Slurm's own SLURM_PROCID is not among them: srun
    /// sets it also for programs it does not start as MPI processes.
    public static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"]

    /// Whether this process was started by an MPI launcher, read from `environment`: such a
    /// program initializes MPI (`world()`), any other runs alone without it.
    public static func isDistributed(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        launcherVariables.contains { environment[$0] != nil }
    }
}

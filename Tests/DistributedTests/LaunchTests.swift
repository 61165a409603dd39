import Distributed
import XCTest

final class LaunchTests: XCTestCase {
    func testLaunchersAreRecognizedByTheirVariables() {
        XCTAssertTrue(Communicator.isDistributed(environment: ["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "1"]))
        XCTAssertTrue(Communicator.isDistributed(environment: ["PMIX_RANK": "0", "SLURM_PROCID": "0"]))
        XCTAssertTrue(Communicator.isDistributed(environment: ["PMI_RANK": "3", "PMI_SIZE": "4"]))
    }

    /// A plain process, and a Slurm step that srun did not start as an MPI process, run alone.
    func testOtherProcessesRunAlone() {
        XCTAssertFalse(Communicator.isDistributed(environment: [:]))
        XCTAssertFalse(Communicator.isDistributed(environment: ["SLURM_PROCID": "0", "SLURM_NTASKS": "2", "PATH": "/usr/bin"]))
    }
}

final class DistributedErrorTests: XCTestCase {
    func testDescriptionNamesRankCallAndReason() {
        let error = DistributedError(rank: 1, size: 4, call: "MPI_Allreduce", code: 15, errorClass: 15,
                                     reason: "MPI_ERR_TRUNCATE: message truncated")
        XCTAssertEqual(error.description, "rank 1 of 4: MPI_Allreduce failed: MPI_ERR_TRUNCATE: message truncated")
        let planning = DistributedError(rank: nil, size: nil, call: "BucketPlan", reason: "no")
        XCTAssertEqual(planning.description, "BucketPlan failed: no")
    }
}

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
